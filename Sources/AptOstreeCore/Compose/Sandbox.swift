import AptOstreeModel
import AptOstreePOSIX
#if canImport(Glibc)
import Glibc
#endif

/// Runs commands inside a tree with bubblewrap: the tree is `/`, with fresh /proc, /dev, /tmp
/// and /run, no network, and its own pid, ipc and uts namespaces. Postprocess scripts,
/// `systemctl enable` and the initramfs generator run here, never on the build host.
public struct Sandbox {
    /// The tree that becomes `/`.
    public let root: String
    /// More bwrap mount options (`--bind SRC DEST`, ...), applied after the standard ones.
    public var binds: [String]

    /// Makes a sandbox over `root`.
    public init(root: String, binds: [String] = []) {
        self.root = root
        self.binds = binds
    }

    /// The bwrap command line for `command`.
    public func argv(_ command: [String]) -> [String] {
        ["bwrap", "--bind", root, "/", "--proc", "/proc", "--dev", "/dev", "--ro-bind", "/sys", "/sys",
         "--tmpfs", "/tmp", "--tmpfs", "/run"] + binds + [
         "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net", "--die-with-parent",
         "--setenv", "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
         "--setenv", "LC_ALL", "C.UTF-8", "--setenv", "DEBIAN_FRONTEND", "noninteractive",
         "--chdir", "/"] + command
    }

    /// Runs `command`; each output line goes to `onLine`. `what` names the step in errors.
    public func run(_ command: [String], what: String, onLine: (String) -> Void = { _ in }) throws {
        try withContext(what) { try Subprocess.run(argv(command), tailLines: 8, onLine: onLine) }
    }
}

/// `'text'` for a POSIX shell.
func shellQuote(_ s: String) -> String {
    "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
}

/// The folder of apt-ostree's data files (the initramfs hook): `APT_OSTREE_DATADIR`, the
/// source tree's `data/` beside a build, or the installed /usr/share/apt-ostree.
public func dataDirectory() throws -> String {
    var candidates: [String] = []
    if let env = getenv("APT_OSTREE_DATADIR"), env.pointee != 0 { candidates.append(String(cString: env)) }
    if let exe = realpath("/proc/self/exe", nil) {
        let dir = FS.dirname(of: String(cString: exe))
        free(exe)
        candidates += [dir + "/../share/apt-ostree", dir + "/../../data", dir + "/../../../data"]
    }
    candidates.append("/usr/share/apt-ostree")
    guard let found = candidates.first(where: { FS.kind($0 + "/initramfs-tools/hooks/apt-ostree") == .regular }) else {
        throw AptOstreeError(.failed, "apt-ostree's data files (initramfs-tools/hooks/apt-ostree) are not installed; looked in \(candidates.joined(separator: ", "))")
    }
    return found
}
