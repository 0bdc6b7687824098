import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit
#if canImport(Glibc)
import Glibc
#endif

/// `/etc/apt-ostree/apt-ostreed.conf`: `[Daemon]` LogLevel, IdleExitTimeout,
/// AutomaticUpdatePolicy; `[CountMe]` Enabled. The daemon reads it at start and on reload;
/// the in-process engine reads the machine's copy (the merge deployment's /etc) for the
/// automatic update policy and countme, so a sysroot in a folder has its own.
public struct DaemonConfig: Equatable, Sendable {
    /// debug, info, warning or error.
    public var logLevel = LogLevel.info
    /// Seconds idle before the daemon exits; 0 keeps it running.
    public var idleExitTimeout: UInt32 = 60
    /// What apt-ostreed-automatic.service does.
    public var automaticUpdatePolicy = AutomaticUpdatePolicy.none
    /// Whether apt-ostree-countme.service may report (off unless the admin opts in).
    public var countMe = false

    /// The path packages install it at.
    public static let defaultPath = "/etc/apt-ostree/apt-ostreed.conf"

    /// Defaults.
    public init() {}

    /// Reads `path`; a missing file means defaults, a malformed one is an error naming the key.
    public static func load(_ path: String) throws -> DaemonConfig {
        var c = DaemonConfig()
        guard access(path, F_OK) == 0 else { return c }
        let text = try FileText.read(path)
        let kf: KeyFile
        do {
            kf = try KeyFile(parsing: text, context: path)
        } catch {
            throw AptOstreeError(.invalidArgument, AptOstreeError.from(error).message)
        }
        func value(_ group: String, _ key: String) -> String? { kf.string(group, key).map { String(Substring($0).trimmingSpaces) } }
        if let v = value("Daemon", "LogLevel") {
            guard let l = LogLevel(rawValue: v.lowercased()) else {
                throw AptOstreeError(.invalidArgument, "\(path): LogLevel must be debug, info, warning or error, not '\(v)'")
            }
            c.logLevel = l
        }
        if let v = value("Daemon", "IdleExitTimeout") {
            guard let n = UInt32(v) else {
                throw AptOstreeError(.invalidArgument, "\(path): IdleExitTimeout must be a number of seconds, not '\(v)'")
            }
            c.idleExitTimeout = n
        }
        if let v = value("Daemon", "AutomaticUpdatePolicy") {
            c.automaticUpdatePolicy = try AutomaticUpdatePolicy(config: v, file: path)
        }
        if let v = value("CountMe", "Enabled") {
            switch v.lowercased() {
            case "true", "yes", "1": c.countMe = true
            case "false", "no", "0": c.countMe = false
            default: throw AptOstreeError(.invalidArgument, "\(path): [CountMe] Enabled must be true or false, not '\(v)'")
            }
        }
        return c
    }

    /// The machine's configuration in a sysroot: the file in `etcRoot`'s /etc.
    public static func load(machineRoot etcRoot: String) throws -> DaemonConfig {
        try load(etcRoot + defaultPath)
    }
}

/// Log levels, least to most severe.
public enum LogLevel: String, Comparable, Sendable {
    case debug, info, warning, error
    var rank: Int { [.debug: 0, .info: 1, .warning: 2, .error: 3][self]! }
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rank < b.rank }
}
