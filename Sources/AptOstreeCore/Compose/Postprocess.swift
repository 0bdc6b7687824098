import AptOstreeModel
import AptOstreePOSIX

/// What runs inside the bootstrapped tree before the transform: the manifest's postprocess
/// scripts, unit enablement and the default target, then the initramfs check. All of it in
/// the bubblewrap sandbox with the tree as `/`.
struct Postprocess {
    let treefile: Treefile
    let root: String
    let scriptTexts: [String]
    let progress: ProgressSink

    /// Runs every step; returns the kernel version of a bootable tree.
    func run() throws -> String? {
        let sandbox = Sandbox(root: root)
        let scripts = treefile.postprocess + scriptTexts
        for (i, script) in scripts.enumerated() {
            progress.message("  postprocess script \(i + 1) of \(scripts.count)")
            try sandbox.run(["sh", "-euc", script], what: "Postprocess script \(i + 1)") { progress.message("    " + $0) }
        }
        if !treefile.units.isEmpty {
            progress.message("  enabling \(treefile.units.joined(separator: ", "))")
            try sandbox.run(["systemctl", "enable"] + treefile.units, what: "Enabling units")
        }
        if let target = treefile.defaultTarget {
            try sandbox.run(["systemctl", "set-default", target], what: "Setting the default target")
        }
        guard treefile.kernel else { return nil }
        let kernels = try FileText.entries(of: root + "/boot").filter { $0.hasPrefix("vmlinuz-") }
        guard kernels.count == 1, let kver = kernels.first.map({ String($0.dropFirst("vmlinuz-".count)) }) else {
            throw AptOstreeError(.failed, "The tree must hold exactly one kernel in /boot, found \(kernels.count)")
        }
        // The kernel's own initramfs build ran with the hook in place; build again only when
        // something may have changed since (postprocess scripts) or the hook did not take.
        let hasHook = try initramfsHasPrepareRoot(sandbox, kver)
        if !scripts.isEmpty || !hasHook {
            progress.message("  generating the initramfs for \(kver) (\(treefile.initramfs.rawValue))")
            switch treefile.initramfs {
            case .initramfsTools:
                try sandbox.run(["update-initramfs", "-c", "-k", kver], what: "update-initramfs") { progress.message("    " + $0) }
            case .dracut:
                try sandbox.run(["dracut", "--force", "--no-hostonly", "/boot/initrd.img-\(kver)", kver], what: "dracut")
            }
            guard try initramfsHasPrepareRoot(sandbox, kver) else {
                throw AptOstreeError(.failed, "The initramfs of \(kver) has no ostree-prepare-root: the tree cannot boot a deployment (is ostree-boot installed?)")
            }
        }
        return kver
    }

    /// Whether the initramfs lists usr/lib/ostree/ostree-prepare-root (lsinitramfs/lsinitrd).
    func initramfsHasPrepareRoot(_ sandbox: Sandbox, _ kver: String) throws -> Bool {
        guard FS.kind(root + "/boot/initrd.img-\(kver)") == .regular else { return false }
        let lister = treefile.initramfs == .dracut ? ["lsinitrd", "/boot/initrd.img-\(kver)"] : ["lsinitramfs", "/boot/initrd.img-\(kver)"]
        var found = false
        try sandbox.run(lister, what: "Listing the initramfs") { line in
            if line.hasSuffix("usr/lib/ostree/ostree-prepare-root") { found = true }
        }
        return found
    }
}
