import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit
#if canImport(Glibc)
import Glibc
#endif

/// The stateroot's /var/lib/apt-ostree/updates.json: the update the last upgrade check
/// found (rpm-ostree's CachedUpdate, kept across daemon restarts) and the last run of the
/// automatic update service. Written whole (temp file + rename) under the sysroot lock.
public struct UpdateStateFile {
    let context: SysrootContext

    /// The file for `context`.
    public init(context: SysrootContext) { self.context = context }

    func path(osname: String) -> String {
        context.varDirectory(osname: osname) + "/lib/apt-ostree/updates.json"
    }

    /// The file's JSON object (empty when there is none or it is unreadable: it is a cache).
    public func read(osname: String) -> [String: JSONValue] {
        guard let text = try? FileText.read(path(osname: osname)),
              case .object(let o)? = try? JSONParser.parse(text) else { return [:] }
        return o
    }

    /// Replaces `key` (nil removes it).
    func set(_ key: String, _ value: JSONValue?, osname: String) throws {
        var o = read(osname: osname)
        o[key] = value
        let file = path(osname: osname)
        try withContext("Writing \(file)") {
            try FS.makeDirectories(FS.dirname(of: file))
            try FS.writeFile(file, JSONValue.object(o).serialized() + "\n")
        }
    }

    /// The cached update in `state` (what `read` returned), unless one of the deployments
    /// already has its base (then it is not available any more: it was deployed, or the
    /// machine went back to it).
    public static func cachedUpdate(in state: [String: JSONValue], deployedBases: Set<String>) -> JSONValue? {
        guard let u = state["cached-update"], let c = u["checksum"]?.stringValue, !deployedBases.contains(c) else { return nil }
        return u
    }
}

/// `upgrade --trigger-automatic-update-policy`, what apt-ostreed-automatic.service runs:
/// the configured policy decides between checking (commit metadata only), staging the
/// update, or staging only updates their publisher marked as security updates. Every run
/// is recorded for `status`, failures too.
public struct AutomaticUpdate {
    let context: SysrootContext
    let progress: ProgressSink

    /// Commit metadata a publisher sets (`compose tree --add-metadata-string=aptostree.security-update=true`)
    /// to mark a base whose changes are security fixes.
    public static let securityKey = "aptostree.security-update"

    public init(context: SysrootContext, progress: ProgressSink) {
        self.context = context
        self.progress = progress
    }

    /// What a run did.
    public enum Outcome: Equatable, Sendable {
        /// Policy `none`: nothing ran.
        case disabled
        /// It ran; `deployed` tells whether a new deployment was written.
        case ran(deployed: Bool)
    }

    /// Runs `policy`; nil reads it from the machine's apt-ostreed.conf.
    public func run(policy given: AutomaticUpdatePolicy?) throws -> Outcome {
        let osname = try context.osname()
        let policy = try given ?? {
            let src = try context.sourceDeployment(of: osname)
            return try DaemonConfig.load(machineRoot: context.etcRoot(of: osname, fallback: src)).automaticUpdatePolicy
        }()
        guard policy != .none else {
            progress.message("Automatic updates are not enabled; exiting...")
            return .disabled
        }
        let state = UpdateStateFile(context: context)
        func record(_ result: String, failed: Bool) {
            let run = AutomaticRun(timestamp: Int64(time(nil)), policy: policy.rawValue, result: result, failed: failed)
            // Best effort: a full /var must not hide the upgrade's own outcome.
            try? state.set("last-run", run.json, osname: osname)
        }
        do {
            let upgrade = Upgrade(context: context, progress: progress)
            var request = UpgradeRequest()
            request.check = policy != .stage
            var r = try upgrade.run(request)
            if policy == .security, r.available, r.update?["security"]?.boolValue == true {
                progress.message("The update is marked as a security update; staging it")
                r = try upgrade.run(UpgradeRequest())
            }
            let version = r.update?["version"]?.stringValue ?? r.update?["checksum"]?.stringValue.map { String($0.prefix(12)) } ?? ""
            record(r.deployed ? "staged \(version)" : r.available ? "update available: \(version)" : "no update", failed: false)
            return .ran(deployed: r.deployed)
        } catch {
            record(AptOstreeError.from(error).message, failed: true)
            throw error
        }
    }
}
