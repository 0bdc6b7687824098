import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit
#if canImport(Glibc)
import Glibc
#endif

/// Builds a layered commit: the base commit plus packages, installed by the real dpkg with
/// their maintainer scripts, as design section 3 describes.
///
/// 1. A hard-link checkout of the base (in the repo's tmp, so links work) is the lower layer
///    of an overlayfs; dpkg's writes land in the upper folder, never in the repo's objects.
/// 2. dpkg runs in bubblewrap with the merged tree as `/`, /etc bound from usr/etc, dpkg's
///    and its helpers' state bound from usr/lib/sysimage, a scratch /var, no network, and a
///    policy-rc.d that keeps services from starting.
/// 3. The upper folder is cleaned (whiteouts and opaque markers recorded and removed,
///    overlay xattrs stripped, sandbox leftovers dropped), /var content becomes tmpfiles.d
///    lines, new users sysusers.d lines, and it is committed onto the base's tree.
/// Nothing reaches the repo's refs or the deployments until the commit; every scratch
/// folder and mount goes on every path out.
struct LayerBuilder {
    let repo: Repo
    /// The repo's folder (its tmp/ is where the scratch goes).
    let repoPath: String
    let progress: ProgressSink

    /// Purges `removals` from `base`, installs `debs` (paths) onto it and commits the layer;
    /// returns its checksum. `requested` names go into the metadata, and so do the base
    /// packages removed and those `replacing` names that changed version. The
    /// scratch folder (in the repo's tmp, so the checkout can hard-link) goes on every way out.
    /// `baseDeployment`, the folder of a deployment of exactly `base`, serves as the lower
    /// layer when there is one (it is a hard-link checkout of the same commit already, and
    /// the sandbox never sees its /etc): no checkout to make and remove.
    /// With `initramfs`, the initramfs is generated again for the tree's kernel (after dpkg),
    /// reading that /etc.
    func build(base: String, baseDeployment: String?, debs: [String], removals: [String] = [],
               replacing: Set<String> = [], requested: [String], initramfs: InitramfsRegeneration? = nil) throws -> String {
        let scratch = try makeTemporaryDirectory(under: repoPath + "/tmp")
        let lower = baseDeployment ?? scratch + "/lower", upper = scratch + "/upper", work = scratch + "/work"
        let merged = scratch + "/merged", varDir = scratch + "/var", debDir = scratch + "/debs"
        var mounted = false
        defer {
            if mounted { _ = try? Subprocess.run(["umount", merged]) }
            try? FS.remove(scratch)
        }
        for d in [upper, work, merged, varDir, debDir] { try FS.makeDirectories(d) }
        if baseDeployment == nil {
            try withContext("Checking out the base") { try repo.checkoutHardlinked(base, to: lower) }
        }
        for (i, deb) in debs.enumerated() {
            // Numbered links keep the names dpkg sees unique and the files read-only to it.
            if link(deb, debDir + "/\(i)-" + FS.basename(of: deb)) != 0 {
                try Subprocess.run(["cp", deb, debDir + "/\(i)-" + FS.basename(of: deb)])
            }
        }
        try withContext("Mounting the overlay") {
            try Subprocess.run(["mount", "-t", "overlay", "overlay", "-o", "lowerdir=\(lower),upperdir=\(upper),workdir=\(work)", merged])
        }
        mounted = true
        try progress.checkpoint()

        // State that dpkg and its helpers keep under /var lives in the image.
        var binds = ["--bind", merged + "/usr/etc", "/etc", "--bind", varDir, "/var"]
        for (varPath, sysimage) in TreeTransform.sysimageMoves where varPath != "/var/lib/apt/extended_states" {
            try FS.makeDirectories(merged + sysimage)
            binds += ["--bind", merged + sysimage, varPath]
        }
        binds += ["--ro-bind", debDir, "/run/apt-ostree-debs"]
        if !debs.isEmpty || !removals.isEmpty {
            try FS.writeFile(merged + "/usr/sbin/policy-rc.d", "#!/bin/sh\n# apt-ostree: no service starts while layering\nexit 101\n", mode: 0o755)
            progress.message("Running dpkg on \(debs.count + removals.count) package\(debs.count + removals.count == 1 ? "" : "s") in a sandbox")
            // Removals first (apt checked nothing left depends on them), then the installs.
            var script = "set -e\n"
            if !removals.isEmpty { script += "dpkg --log=/dev/null --purge \"$@\"\n" }
            if !debs.isEmpty { script += "dpkg --log=/dev/null --force-confdef --force-confold --install /run/apt-ostree-debs/*.deb\n" }
            let midDpkg = DeferredFailpoint("dpkg.mid")
            try Sandbox(root: merged, binds: binds).run(["sh", "-c", script, "sh"] + removals, what: "dpkg") { line in
                if line.hasPrefix("Setting up ") || line.hasPrefix("Unpacking ") || line.hasPrefix("Removing ")
                    || line.hasPrefix("Purging ") || line.hasPrefix("dpkg: ") {
                    progress.message("  " + line)
                    midDpkg.reach()
                }
            }
            try midDpkg.raise()
            try progress.checkpoint()
            try FS.remove(merged + "/usr/sbin/policy-rc.d")
        }
        if let initramfs {
            try initramfs.generate(in: merged, varDir: varDir, progress: progress)
            try progress.checkpoint()
        }
        try withContext("Unmounting the overlay") { try Subprocess.run(["umount", merged]) }
        mounted = false

        progress.message("Committing the layer")
        let cleaned = try UpperLayer(upper: upper, lower: lower).clean()
        var tmpfiles: [String] = []
        try convertVar(varDir, lower: lower, upper: upper, &tmpfiles)
        if !tmpfiles.isEmpty {
            try FS.makeDirectories(upper + "/usr/lib/tmpfiles.d")
            try FS.writeFile(upper + "/usr/lib/tmpfiles.d/apt-ostree-layer.conf",
                             "# Written by apt-ostree: what layered packages put in /var.\n" + tmpfiles.joined(separator: "\n") + "\n")
        }
        try writeSysusers(lower: lower, upper: upper)
        let statusText = try FileText.read(FS.kind(upper + "/usr/lib/sysimage/dpkg/status") == .regular
                                           ? upper + "/usr/lib/sysimage/dpkg/status" : lower + "/usr/lib/sysimage/dpkg/status")
        let packages = Deb822.installedPackages(status: statusText)
        let baseCommit = try repo.loadCommit(base)
        var metadata: [String: MetadataValue] = [:]
        metadata[StatusReader.MetaKey.clientLayer] = .bool(true)
        metadata[StatusReader.MetaKey.packages] = .strings(requested)
        if let initramfs { metadata[StatusReader.MetaKey.initramfsArgs] = .strings(initramfs.args) }
        metadata[ComposeTree.MetaKey.packageList] = .packageList(packages)
        // What happened to the base's packages, for status.
        let basePackages = try repo.loadCommit(base).packageList ?? []
        let after = Dictionary(packages.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let removed = basePackages.filter { removals.contains($0.name) && after[$0.name] == nil }
        let replaced = basePackages.compactMap { p in
            replacing.contains(p.name) ? after[p.name].flatMap { $0.version != p.version ? $0 : nil } : nil
        }
        if !removed.isEmpty { metadata[StatusReader.MetaKey.removedBasePackages] = .packageList(removed) }
        if !replaced.isEmpty { metadata[StatusReader.MetaKey.replacedBasePackages] = .packageList(replaced) }
        if let v = baseCommit.version { metadata["version"] = .string(v) }
        if let k = baseCommit.metadataString("ostree.linux") { metadata["ostree.linux"] = .string(k) }
        if let b = baseCommit.metadataBool("ostree.bootable") { metadata["ostree.bootable"] = .bool(b) }
        let checksum = try withContext("Committing the layer") {
            try repo.writeLayerCommit(base: base, upper: upper, removals: cleaned.removals, opaqueDirectories: cleaned.opaque,
                                      subject: "apt-ostree layer: " + (requested + (initramfs == nil ? [] : ["(initramfs)"])).joined(separator: " "),
                                      metadata: metadata,
                                      ref: nil, timestamp: UInt64(time(nil)))
        }
        return checksum
    }

    /// What maintainer scripts wrote under the scratch /var: folders become tmpfiles.d `d`
    /// lines (owner and mode kept), links `L` lines; files are state and are dropped. Paths
    /// the tree's tmpfiles.d already declares are left alone.
    func convertVar(_ varDir: String, lower: String, upper: String, _ lines: inout [String]) throws {
        var declared = Set<String>()
        for root in [lower, upper] {
            declared.formUnion(try TreeTransform(root: root, requireKernel: false).declaredTmpfilesPaths())
        }
        let users = try UserDatabase(root: FS.kind(upper + "/usr/etc/passwd") == .regular ? upper : lower)
        // bwrap's mount points for the sysimage binds are not content.
        let mountPoints = Set(TreeTransform.sysimageMoves.map(\.var))
        lines += try TreeTransform.tmpfilesLines(forVar: varDir, users: users, skipping: declared.union(mountPoints)).lines
        // Sysimage state a package created for the first time needs its link from /var; a
        // state folder that stayed empty is dropped again.
        for (varPath, sysimage) in TreeTransform.sysimageMoves where varPath != "/var/lib/apt/extended_states" {
            guard FS.kind(upper + sysimage) == .directory, FS.kind(lower + sysimage) == .missing else { continue }
            if try FileText.entries(of: upper + sysimage).isEmpty {
                try FS.remove(upper + sysimage)
            } else if !declared.contains(varPath) {
                lines.append("L \(varPath) - - - - \(sysimage)")
            }
        }
    }

    /// Users and groups the packages added (the upper /usr/etc/passwd against the base's)
    /// as sysusers.d lines, so they reach machines whose /etc/passwd was edited.
    func writeSysusers(lower: String, upper: String) throws {
        guard FS.kind(upper + "/usr/etc/passwd") == .regular || FS.kind(upper + "/usr/etc/group") == .regular else { return }
        let before = try UserDatabase(root: lower)
        var after = try UserDatabase(root: lower)
        let changed = try UserDatabase(root: upper)
        if FS.kind(upper + "/usr/etc/passwd") == .regular { after.users = changed.users }
        if FS.kind(upper + "/usr/etc/group") == .regular { after.groups = changed.groups }
        let added = UserDatabase(users: after.users.filter { u in !before.users.contains { $0.name == u.name } },
                                 groups: after.groups.filter { g in !before.groups.contains { $0.name == g.name } })
        // New users' memberships in any group, old ones included.
        let lines = added.sysusersLines(memberships: after.groups)
        guard !lines.isEmpty else { return }
        try FS.makeDirectories(upper + "/usr/lib/sysusers.d")
        try FS.writeFile(upper + "/usr/lib/sysusers.d/apt-ostree-layer.conf",
                         "# Written by apt-ostree: users and groups layered packages created.\n" + lines.joined(separator: "\n") + "\n")
    }
}

/// The client-side initramfs (`initramfs --enable`): the tree's own generator
/// (initramfs-tools' mkinitramfs, or dracut) run in the sandbox for the tree's kernel, with the
/// machine's /etc (the merge deployment's: crypttab, initramfs-tools configuration and hooks)
/// and the extra arguments; the result replaces `/usr/lib/modules/KVER/initramfs.img`.
struct InitramfsRegeneration {
    /// The /etc the generator reads.
    var etc: String
    /// Extra arguments for the generator.
    var args: [String]

    func generate(in root: String, varDir: String, progress: ProgressSink) throws {
        let kernels = try FileText.entries(of: root + "/usr/lib/modules").filter { FS.kind(root + "/usr/lib/modules/\($0)/vmlinuz") == .regular }
        guard let kver = kernels.sorted().last else {
            throw AptOstreeError(.failed, "The tree has no kernel in /usr/lib/modules/*/vmlinuz to build an initramfs for")
        }
        let output = "/usr/lib/modules/\(kver)/initramfs.img"
        let command: [String]
        if FS.kind(root + "/usr/sbin/mkinitramfs") == .regular {
            command = ["mkinitramfs"] + args + ["-o", output, kver]
        } else if FS.kind(root + "/usr/bin/dracut") == .regular || FS.kind(root + "/usr/sbin/dracut") == .regular {
            command = ["dracut", "--force"] + args + [output, kver]
        } else {
            throw AptOstreeError(.failed, "The tree has neither mkinitramfs (initramfs-tools) nor dracut")
        }
        try FS.makeDirectories(varDir + "/tmp")
        progress.message("Generating the initramfs for \(kver) (\(command[0])\(args.isEmpty ? "" : " " + args.joined(separator: " ")))")
        // The generators look for the kernel's config in /boot, where an OSTree tree has none:
        // a scratch /boot shows them the files beside the kernel.
        var binds = ["--ro-bind", etc, "/etc", "--bind", varDir, "/var", "--tmpfs", "/boot"]
        for (file, name) in [("config", "config"), ("System.map", "System.map")] where FS.kind(root + "/usr/lib/modules/\(kver)/\(file)") == .regular {
            binds += ["--ro-bind", root + "/usr/lib/modules/\(kver)/\(file)", "/boot/\(name)-\(kver)"]
        }
        try Sandbox(root: root, binds: binds).run(command, what: command[0]) { line in
            progress.message("  " + line)
        }
    }
}
