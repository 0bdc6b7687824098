import AptOstreeModel
import AptOstreePOSIX
#if canImport(Glibc)
import Glibc
#endif

/// Turns a bootstrapped Debian root (mmdebstrap's output) into a tree OSTree can commit and
/// boot, by the rules of design section 2. Every rule is a method, run in order by `run()`;
/// each works on the folder in place and leaves it committable or throws naming the path.
public struct TreeTransform {
    /// The tree's root folder.
    public let root: String
    /// Whether the tree must carry exactly one kernel.
    public var requireKernel: Bool
    /// Where progress lines go.
    public var progress: ProgressSink

    /// What the transform found and did, for the commit metadata and the tests.
    public struct Result: Equatable, Sendable {
        /// The kernel version, when the tree has a kernel.
        public var kernelVersion: String?
        /// The tmpfiles.d lines written for /var (and the links).
        public var tmpfilesLines: [String] = []
        /// The sysusers.d lines written for the tree's users and groups.
        public var sysusersLines: [String] = []
    }

    /// The file of tmpfiles.d lines the transform writes.
    public static let tmpfilesPath = "/usr/lib/tmpfiles.d/apt-ostree-compose.conf"
    /// The sysusers.d file the transform writes.
    public static let sysusersPath = "/usr/lib/sysusers.d/apt-ostree-compose.conf"
    /// Package-manager state that moves from /var into /usr/lib/sysimage (image content, not
    /// machine state): dpkg's database, debconf's answers, apt's auto-installed marks, and the
    /// state ucf, deb-systemd-helper and pam-auth-update keep about the packaged files.
    public static let sysimageMoves: [(var: String, sysimage: String)] = [
        ("/var/lib/dpkg", "/usr/lib/sysimage/dpkg"),
        ("/var/cache/debconf", "/usr/lib/sysimage/debconf"),
        ("/var/lib/apt/extended_states", "/usr/lib/sysimage/apt/extended_states"),
        ("/var/lib/ucf", "/usr/lib/sysimage/ucf"),
        ("/var/lib/systemd/deb-systemd-helper-enabled", "/usr/lib/sysimage/deb-systemd-helper-enabled"),
        ("/var/lib/systemd/deb-systemd-helper-masked", "/usr/lib/sysimage/deb-systemd-helper-masked"),
        ("/var/lib/pam", "/usr/lib/sysimage/pam"),
    ]
    /// Top-level folders that become links into /var or /run (state lives in /var on OSTree).
    public static let topLevelLinks: [(path: String, target: String, varPath: String, mode: mode_t)] = [
        ("/home", "var/home", "/var/home", 0o755),
        ("/root", "var/roothome", "/var/roothome", 0o700),
        ("/opt", "var/opt", "/var/opt", 0o755),
        ("/srv", "var/srv", "/var/srv", 0o755),
        ("/mnt", "var/mnt", "/var/mnt", 0o755),
        ("/media", "run/media", "/run/media", 0o755),
        ("/usr/local", "../var/usrlocal", "/var/usrlocal", 0o755),
    ]

    /// Makes a transform of the tree at `root`.
    public init(root: String, requireKernel: Bool, progress: ProgressSink = SilentProgress()) {
        self.root = root
        self.requireKernel = requireKernel
        self.progress = progress
    }

    /// Runs every rule in order.
    public func run() throws -> Result {
        var result = Result()
        try checkMergedUsr()
        result.kernelVersion = try moveKernel()
        try moveEtc()
        let users = try UserDatabase(root: root)
        result.sysusersLines = try writeSysusers(users)
        try moveSysimageState(&result.tmpfilesLines)
        try makeTopLevelLinks(users, &result.tmpfilesLines)
        try convertVar(users, &result.tmpfilesLines)
        try dropBuildLeftovers()
        try FS.makeDirectories(root + "/usr/lib/tmpfiles.d")
        try FS.writeFile(root + Self.tmpfilesPath,
                         "# Written by apt-ostree compose: /var ships empty in an OSTree commit; these lines\n"
                         + "# recreate at boot what the packages put there.\n"
                         + result.tmpfilesLines.joined(separator: "\n") + "\n")
        return result
    }

    private func p(_ path: String) -> String { root + path }

    /// bin, sbin and lib must be links into usr (merged /usr, Debian's default since bookworm).
    func checkMergedUsr() throws {
        for dir in ["/bin", "/sbin", "/lib"] where FS.kind(p(dir)) == .directory {
            throw AptOstreeError(.failed, "The tree is not merged-/usr: \(dir) is a folder, not a link into /usr")
        }
        if FS.kind(p("/usr")) != .directory { throw AptOstreeError(.failed, "The tree has no /usr folder") }
    }

    /// /etc becomes /usr/etc: libostree merges it with the machine's /etc at each deployment.
    func moveEtc() throws {
        guard FS.kind(p("/etc")) == .directory else { throw AptOstreeError(.failed, "The tree has no /etc folder") }
        guard FS.kind(p("/usr/etc")) == .missing else { throw AptOstreeError(.failed, "The tree already has /usr/etc") }
        try FS.move(p("/etc"), to: p("/usr/etc"))
    }

    /// The kernel, its initramfs, config and System.map go to /usr/lib/modules/KVER, where
    /// libostree looks for them; /boot ships empty and the root's vmlinuz links go.
    func moveKernel() throws -> String? {
        let kernels = try FileText.entries(of: p("/boot")).filter { $0.hasPrefix("vmlinuz-") }.sorted()
        for link in ["vmlinuz", "vmlinuz.old", "initrd.img", "initrd.img.old"] where FS.kind(p("/" + link)) == .symlink {
            try FS.remove(p("/" + link))
        }
        guard let kernel = kernels.first else {
            if requireKernel { throw AptOstreeError(.failed, "The tree has no kernel in /boot (is linux-image installed?)") }
            try FileText.removeContents(of: p("/boot"))
            return nil
        }
        guard kernels.count == 1 else {
            throw AptOstreeError(.failed, "The tree has more than one kernel in /boot: \(kernels.joined(separator: ", "))")
        }
        let kver = String(kernel.dropFirst("vmlinuz-".count))
        let modules = p("/usr/lib/modules/\(kver)")
        guard FS.kind(modules) == .directory else {
            throw AptOstreeError(.failed, "The tree has /boot/\(kernel) but no /usr/lib/modules/\(kver)")
        }
        try FS.move(p("/boot/\(kernel)"), to: modules + "/vmlinuz")
        let initrd = p("/boot/initrd.img-\(kver)")
        if FS.kind(initrd) == .regular {
            try FS.move(initrd, to: modules + "/initramfs.img")
        } else if requireKernel {
            throw AptOstreeError(.failed, "The tree has no initramfs for kernel \(kver) (/boot/initrd.img-\(kver))")
        }
        for (name, dest) in [("config-\(kver)", "config"), ("System.map-\(kver)", "System.map")]
        where FS.kind(p("/boot/\(name)")) == .regular {
            try FS.move(p("/boot/\(name)"), to: modules + "/" + dest)
        }
        try FileText.removeContents(of: p("/boot"))
        return kver
    }

    /// The package database and its kin move under /usr/lib/sysimage; a tmpfiles `L` line
    /// links each old /var path to it at boot, so dpkg-query and apt find them.
    func moveSysimageState(_ lines: inout [String]) throws {
        for (varPath, sysimage) in Self.sysimageMoves where FS.kind(p(varPath)) != .missing {
            try FS.makeDirectories(FS.dirname(of: p(sysimage)))
            try FS.move(p(varPath), to: p(sysimage))
            lines.append("L \(varPath) - - - - \(sysimage)")
        }
    }

    /// /home, /root, /opt, /srv, /mnt, /media and /usr/local become links into /var and /run.
    /// Files in them (root's dot files) move to /usr/share/factory and are copied in at boot
    /// by `C` lines; systemd's own lines for /home and /srv are overridden so that
    /// systemd-tmpfiles does not fight the links.
    func makeTopLevelLinks(_ users: UserDatabase, _ lines: inout [String]) throws {
        for link in Self.topLevelLinks {
            let path = p(link.path)
            let isDirectory = FS.kind(path) == .directory
            let mode = isDirectory ? try FS.lstatOf(path).st_mode & 0o7777 : link.mode
            lines.append("d \(link.varPath) \(String(mode, radix: 8)) root root -")
            if isDirectory {
                for child in try FS.walk(path) {
                    let rel = link.varPath + String(child.dropFirst(path.count))
                    let cst = try FS.lstatOf(child)
                    switch FS.kind(child) {
                    case .directory:
                        lines.append(users.tmpfilesLine("d", rel, cst))
                    case .regular, .symlink:
                        let factory = p("/usr/share/factory" + rel)
                        try FS.makeDirectories(FS.dirname(of: factory))
                        try FS.move(child, to: factory)
                        lines.append("C \(rel) - - - - -")
                    default:
                        progress.message("Dropping \(link.path)\(child.dropFirst(path.count)): not a file, folder or link")
                    }
                }
                try FS.remove(path)
            } else if FS.kind(path) != .missing {
                try FS.remove(path)
            }
            try FS.symlink(link.target, at: path)
        }
        try FS.makeDirectories(p("/sysroot"))
        if FS.kind(p("/ostree")) != .missing { try FS.remove(p("/ostree")) }
        try FS.symlink("sysroot/ostree", at: p("/ostree"))
        try FS.makeDirectories(p("/usr/etc/tmpfiles.d"))
        try FS.writeFile(p("/usr/etc/tmpfiles.d/home.conf"),
                         "# apt-ostree: /home and /srv are links into /var on this system; the lines of\n"
                         + "# /usr/lib/tmpfiles.d/home.conf would act on the links. See \(Self.tmpfilesPath).\n")
    }

    /// /var ships empty: each folder a package put there becomes a `d` line with its owner
    /// and mode (dpkg-statoverride already applied), each link an `L` line; files are state
    /// and are dropped. Paths some tmpfiles.d file of the tree already declares are left to it.
    func convertVar(_ users: UserDatabase, _ lines: inout [String]) throws {
        let declared = try declaredTmpfilesPaths().union(lines.compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) })
        let (varLines, dropped) = try Self.tmpfilesLines(forVar: p("/var"), users: users, skipping: declared)
        lines += varLines
        try FileText.removeContents(of: p("/var"))
        if dropped > 0 { progress.message("Dropped \(dropped) state files from /var") }
    }

    /// tmpfiles.d lines for what a folder shown as /var holds: each folder a `d` line with
    /// its owner and mode, each link an `L` line (paths in `skip` left out); files are state
    /// and are only counted. Compose and layering both describe /var this way.
    static func tmpfilesLines(forVar varDir: String, users: UserDatabase, skipping skip: Set<String>) throws -> (lines: [String], files: Int) {
        var lines: [String] = [], files = 0
        for path in try FS.walk(varDir) {
            let rel = "/var" + path.dropFirst(varDir.count)
            switch FS.kind(path) {
            case .directory:
                if !skip.contains(rel) { lines.append(users.tmpfilesLine("d", rel, try FS.lstatOf(path))) }
            case .symlink:
                if !skip.contains(rel) { lines.append("L \(rel) - - - - \(try FS.readLink(path))") }
            default:
                files += 1
            }
        }
        return (lines, files)
    }

    /// The paths named by the tree's tmpfiles.d files (second field of each line).
    func declaredTmpfilesPaths() throws -> Set<String> {
        var out = Set<String>()
        for dir in ["/usr/lib/tmpfiles.d", "/usr/etc/tmpfiles.d"] {
            for name in try FileText.entries(of: p(dir)) where name.hasSuffix(".conf") {
                guard FS.kind(p(dir + "/" + name)) == .regular else { continue }
                for line in try FileText.read(p(dir + "/" + name)).split(separator: "\n") {
                    let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                    if fields.count >= 2, !fields[0].hasPrefix("#") { out.insert(String(fields[1])) }
                }
            }
        }
        return out
    }

    /// The build host's leftovers: device nodes, /run and /tmp contents, the host's
    /// resolv.conf and hostname, fstab, lock files; machine-id is emptied (systemd fills it
    /// at first boot). Runs after the package state moved to /usr/lib/sysimage.
    func dropBuildLeftovers() throws {
        for dir in ["/dev", "/run", "/tmp", "/proc", "/sys"] {
            try FileText.removeContents(of: p(dir))
        }
        for file in ["/usr/etc/resolv.conf", "/usr/etc/hostname", "/usr/etc/fstab"] { try FS.remove(p(file)) }
        // Lock files: dpkg, adduser and friends make them when they run.
        for lock in ["/usr/lib/sysimage/dpkg/lock", "/usr/lib/sysimage/dpkg/lock-frontend",
                     "/usr/lib/sysimage/dpkg/triggers/Lock", "/usr/etc/.pwd.lock"] { try FS.remove(p(lock)) }
        if FS.kind(p("/usr/etc/machine-id")) != .missing {
            try FS.remove(p("/usr/etc/machine-id"))
            try FS.writeFile(p("/usr/etc/machine-id"), "", mode: 0o444)
        }
    }

    /// Every user and group of the image as sysusers.d lines, so they reach machines whose
    /// /etc/passwd was edited (libostree keeps a changed /etc/passwd as it is). The lines pin
    /// the numeric ids the tree's files are owned by. systemd-sysusers.service runs on the
    /// first boot of every new deployment: libostree removes /etc/.updated from each one, so
    /// its ConditionNeedsUpdate=/etc holds.
    func writeSysusers(_ users: UserDatabase) throws -> [String] {
        let lines = users.sysusersLines()
        try FS.makeDirectories(p("/usr/lib/sysusers.d"))
        try FS.writeFile(p(Self.sysusersPath),
                         "# Written by apt-ostree compose: the image's users and groups, with their ids.\n"
                         + lines.joined(separator: "\n") + "\n")
        return lines
    }
}
