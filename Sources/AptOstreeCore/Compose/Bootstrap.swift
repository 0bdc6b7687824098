import AptOstreeModel
import AptOstreePOSIX

/// Runs Debian's mmdebstrap for a manifest. apt inside mmdebstrap resolves and downloads;
/// the cache's package lists and .debs are hard-linked in before and new .debs out after,
/// so a second compose downloads only what changed. The initramfs hook is in the tree before
/// the kernel is installed, so the kernel's own initramfs build already includes it.
struct Bootstrap {
    let treefile: Treefile
    let architecture: String
    let lists: AptLists
    let archives: String
    let hookDirectory: String
    let progress: ProgressSink

    /// mmdebstrap's hooks that bind-mount file:// mirrors and local .debs into the chroot.
    static let fileMirrorHooks = "/usr/share/mmdebstrap/hooks/file-mirror-automount"

    static let excludePreferences = "/etc/apt/preferences.d/apt-ostree-compose-exclude"

    /// apt preferences that keep `packages` from being installed, even as dependencies.
    static func excludePins(_ packages: [String]) -> String {
        packages.map { "Package: \($0)\nPin: release *\nPin-Priority: -1\n" }.joined(separator: "\n")
    }

    /// mmdebstrap's options and arguments, without the target.
    func arguments(target: String) -> [String] {
        let tf = treefile
        var args = ["mmdebstrap", "--mode=root", "--variant=\(tf.variant)",
                    "--arch=\(architecture)", "--components=\(tf.components.joined(separator: ","))",
                    "--aptopt=Acquire::Languages \"none\"", "--aptopt=Acquire::Retries \"3\"",
                    "--skip=essential/unlink"]
        args.append("--format=directory")
        let packages = tf.effectivePackages
        if !packages.isEmpty { args.append("--include=" + packages.joined(separator: ",")) }
        // Local .debs: apt installs them by path with the rest, resolving their dependencies;
        // mmdebstrap's file-mirror-automount hook makes the paths visible inside the chroot.
        if !tf.localPackages.isEmpty {
            args += tf.localPackages.map { "--include=" + $0 }
            args.append("--hook-dir=" + Self.fileMirrorHooks)
        }
        args += tf.keyrings.map { "--keyring=" + $0 }
        let q = shellQuote
        // Current package lists and cached .debs in (hard links; a copy across filesystems); not
        // lists/partial or the lock, which apt makes itself with the owner its download sandbox needs.
        args.append("--setup-hook=mkdir -p \"$1/var/lib/apt/lists\" \"$1/var/cache/apt/archives\" \"$1/etc/apt/preferences.d\""
                    + " && for f in \(q(lists.listsDirectory))/*; do [ -f \"$f\" ] && [ \"${f##*/}\" != lock ] || continue;"
                    + " cp -l \"$f\" \"$1/var/lib/apt/lists/\" 2>/dev/null || cp \"$f\" \"$1/var/lib/apt/lists/\"; done"
                    + " && for f in \(q(archives))/*.deb; do [ -f \"$f\" ] || continue;"
                    + " cp -l \"$f\" \"$1/var/cache/apt/archives/\" 2>/dev/null || cp \"$f\" \"$1/var/cache/apt/archives/\"; done")
        if !tf.excludePackages.isEmpty {
            let prefs = Self.excludePins(tf.excludePackages)
            args.append("--setup-hook=printf '%s' \(q(prefs)) > \"$1\(Self.excludePreferences)\"")
        }
        if tf.kernel {
            let hooks = "$1/usr/share/initramfs-tools/hooks", local = "$1/usr/share/initramfs-tools/scripts/local-bottom"
            var hook = "mkdir -p \"\(hooks)\" \"\(local)\""
                + " && install -m 0755 \(q(hookDirectory + "/hooks/apt-ostree")) \"\(hooks)/apt-ostree\""
                + " && install -m 0755 \(q(hookDirectory + "/scripts/local-bottom/apt-ostree")) \"\(local)/apt-ostree\""
            if tf.initramfs == .dracut {
                hook += " && mkdir -p \"$1/etc/dracut.conf.d\" && printf 'add_dracutmodules+=\" ostree \"\\n' > \"$1/etc/dracut.conf.d/apt-ostree.conf\""
            }
            args.append("--essential-hook=" + hook)
        }
        // New .debs back into the cache; the exclusion pins were for the compose only.
        args.append("--customize-hook=for f in \"$1\"/var/cache/apt/archives/*.deb; do [ -e \"$f\" ] || continue;"
                    + " [ -e \(q(archives))/\"${f##*/}\" ] || cp -l \"$f\" \(q(archives))/ 2>/dev/null || cp \"$f\" \(q(archives))/; done;"
                    + " rm -f \"$1\(Self.excludePreferences)\"")
        args += [tf.suite, target] + lists.sourceLines
        return args
    }

    /// Bootstraps the tree into `target`, showing mmdebstrap's progress lines.
    func run(into target: String) throws {
        try withContext("Bootstrapping \(treefile.suite) with mmdebstrap") {
            try Subprocess.run(arguments(target: target), environment: ["LC_ALL=C.UTF-8"], tailLines: 6) { line in
                guard !line.hasPrefix("I: running --") else { return }
                if line.hasPrefix("I: ") || line.hasPrefix("W: ") || line.hasPrefix("E: ") { progress.message("  " + line) }
            }
        }
    }
}
