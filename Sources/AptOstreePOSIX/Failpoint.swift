#if canImport(Glibc)
import Glibc
#endif
import AptOstreeModel

/// Named steps of every transaction where a test can make the engine fail or die:
/// `APT_OSTREE_FAILPOINTS=name[,name...]`, each `name` (the step fails with an error, as a
/// real failure there would) or `name=abort` (the process is killed with SIGKILL there, as a
/// power cut or an OOM kill would). Unset, a failpoint costs one dictionary look-up.
/// The crash harness (bench/crash) drives every name in `all`.
public enum Failpoint {
    /// What a set failpoint does.
    public enum Action: String, Sendable { case fail, abort }

    /// Every failpoint, in the order a transaction reaches them.
    public static let all: [String] = [
        "resolve.after",           // apt has resolved the package set
        "download.after",          // the .debs are in the cache
        "dpkg.mid",                // dpkg is unpacking in the sandbox (abort: killed mid-run)
        "layer.after-commit",      // the layer commit is in the repo, no deployment yet
        "pull.mid",                // a pull has begun fetching objects
        "pull.after",              // the new base is in the repo, no deployment yet
        "deploy.before",           // nothing of the new deployment is written
        "deploy.after-tree",       // the new deployment's folder exists, unlisted
        "deploy.after",            // the new deployment is listed as the default
        "cleanup.mid",             // cleanup has removed deployments, not yet pruned
    ]

    /// The failpoints set in this process's environment.
    public static let active: [String: Action] = parse(getenv("APT_OSTREE_FAILPOINTS").map { String(cString: $0) } ?? "")

    /// `name[=fail|abort],...` as a table; unknown actions count as `fail`.
    public static func parse(_ spec: String) -> [String: Action] {
        var out: [String: Action] = [:]
        for item in spec.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { String($0.trimmingSpaces) }
            guard let name = parts.first, !name.isEmpty else { continue }
            out[name] = parts.count > 1 ? Action(rawValue: parts[1]) ?? .fail : .fail
        }
        return out
    }

    /// Reached step `name`: fails or dies there when the environment says so.
    public static func hit(_ name: String) throws {
        guard !active.isEmpty, let action = active[name] else { return }
        switch action {
        case .abort:
            kill(getpid(), SIGKILL)
            pause()
        case .fail:
            throw AptOstreeError(.failed, "failpoint \(name) reached (APT_OSTREE_FAILPOINTS)")
        }
    }

    /// Whether `name` is set to fail (not abort).
    public static func isFailing(_ name: String) -> Bool { active[name] == .fail }
}

/// A failpoint reached inside a callback that cannot throw (a child's output, a pull's
/// progress): `reach()` aborts there at once; a failing one is thrown by `raise()` after the
/// child returns, or stops a pull through `shouldStop`.
public final class DeferredFailpoint {
    public let name: String
    public private(set) var reached = false

    public init(_ name: String) { self.name = name }

    public func reach() {
        guard !reached, Failpoint.active[name] != nil else { return }
        reached = true
        if Failpoint.active[name] == .abort { try? Failpoint.hit(name) }
    }

    /// Whether a failing failpoint was reached (a pull then stops as if cancelled).
    public var shouldStop: Bool { reached && Failpoint.isFailing(name) }

    public func raise() throws {
        if reached { try Failpoint.hit(name) }
    }
}
