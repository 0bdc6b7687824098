import AptOstreeModel
import OSTreeKit
#if canImport(Glibc)
import Glibc
#endif

/// An opened sysroot plus the choices every command makes the same way: which stateroot,
/// which deployment counts as booted, and how the sysroot lock is taken.
public final class SysrootContext: @unchecked Sendable {
    /// The libostree sysroot.
    public let sysroot: Sysroot
    /// The options it was opened with.
    public let options: SysrootOptions

    /// Opens and loads the sysroot; a path that is not a sysroot is an `invalidArgument`.
    public init(_ options: SysrootOptions) throws {
        self.options = options
        do {
            sysroot = try Sysroot(path: options.path)
        } catch let e as GLibError where e.isNotFound {
            throw AptOstreeError(.invalidArgument, e.message)
        } catch {
            throw AptOstreeError.from(error)
        }
        if let os = options.osname, !Self.isDirectory("\(options.path)/ostree/deploy/\(os)") {
            throw AptOstreeError(.notFound, "Unknown stateroot '\(os)' in \(options.path)")
        }
    }

    /// Whether libostree found a deployment the running system booted from.
    public var hasRealBootedDeployment: Bool { sysroot.booted != nil }

    /// The booted deployment or, when nothing is booted (a sysroot in a folder), the default
    /// deployment: it stands in for the booted one everywhere.
    public var bootedOrDefault: Deployment? {
        sysroot.booted ?? sysroot.deployments.first
    }

    /// The stateroot the command acts on: `--os`, else the booted (or default) one.
    public func osname() throws -> String {
        if let os = options.osname { return os }
        if let d = bootedOrDefault { return d.osname }
        throw AptOstreeError(.notFound, "No deployments in \(options.path)")
    }

    /// The deployments of `osname`, default first.
    public func deployments(of osname: String) -> [Deployment] {
        sysroot.deployments.filter { $0.osname == osname }
    }

    /// The deployment a change starts from: the stateroot's default deployment, which is
    /// the pending one when changes were made since boot (they pile up, as in rpm-ostree),
    /// else the booted one. (/etc is merged from libostree's merge deployment all the same.)
    public func sourceDeployment(of osname: String) throws -> Deployment {
        try defaultDeployment(of: osname)
    }

    /// The folder whose /etc is the machine's configuration: libostree's merge deployment
    /// (the booted one on a running system; a staged deployment's /etc is only merged at
    /// shutdown), else `fallback`'s.
    public func etcRoot(of osname: String, fallback: Deployment) -> String {
        deploymentPath(sysroot.mergeDeployment(osname: osname) ?? fallback)
    }

    /// The deployment waiting for the next boot: the stateroot's default when it is not the
    /// booted one (nil when nothing is booted: a sysroot in a folder has no pending deployment).
    public func pendingDeployment(of osname: String) -> Deployment? {
        guard let booted = sysroot.booted, let first = deployments(of: osname).first, !first.isSame(as: booted) else { return nil }
        return first
    }

    /// The base commit of a deployed commit: its parent when apt-ostree layered it, else itself.
    public static func baseChecksum(of commit: Commit) -> String {
        commit.metadataBool(StatusReader.MetaKey.clientLayer) == true ? (commit.parent ?? commit.checksum) : commit.checksum
    }

    /// The default (first) deployment of `osname`.
    public func defaultDeployment(of osname: String) throws -> Deployment {
        guard let d = deployments(of: osname).first else {
            throw AptOstreeError(.notFound, "No deployments for stateroot '\(osname)'")
        }
        return d
    }

    /// Runs `body` holding libostree's sysroot lock (waiting for another holder, with a
    /// message), on a freshly reloaded sysroot; the lock is released on every exit path.
    public func withLock<T>(progress: ProgressSink, _ body: () throws -> T) throws -> T {
        try withContext("Locking sysroot") {
            if try !sysroot.tryLock() {
                progress.message("Waiting for sysroot lock...")
                try sysroot.lock()
            }
        }
        defer { sysroot.unlock() }
        try withContext("Reloading sysroot") { try sysroot.load() }
        return try body()
    }

    /// The per-stateroot /var (`ostree/deploy/OSNAME/var`), which is /var on the running system.
    public func varDirectory(osname: String) -> String {
        "\(options.path == "/" ? "" : options.path)/ostree/deploy/\(osname)/var"
    }

    /// The repo's folder (its tmp/ holds scratch checkouts that hard-link objects).
    public var repoPath: String { (options.path == "/" ? "" : options.path) + "/ostree/repo" }

    /// The folder of deployment `d` (its root, / when it is booted).
    public func deploymentPath(_ d: Deployment) -> String {
        (options.path == "/" ? "" : options.path) + "/ostree/deploy/\(d.osname)/deploy/\(d.checksum).\(d.deploySerial)"
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}

/// Fails unless the process is root: the engine changes a sysroot only as root.
public func requireRoot(_ command: String) throws {
    if geteuid() != 0 {
        throw AptOstreeError(.notAuthorized, "\(command) must be run as root")
    }
}
