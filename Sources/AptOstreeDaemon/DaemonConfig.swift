import AptOstreeModel
import CGio
#if canImport(Glibc)
import Glibc
#endif

/// `/etc/apt-ostree/apt-ostreed.conf`: `[Daemon]` LogLevel, IdleExitTimeout, AutomaticUpdatePolicy.
public struct DaemonConfig: Equatable, Sendable {
    /// debug, info, warning or error.
    public var logLevel = LogLevel.info
    /// Seconds idle before the daemon exits; 0 keeps it running.
    public var idleExitTimeout: UInt32 = 60
    /// none, check or stage.
    public var automaticUpdatePolicy = "none"

    /// The path packages install it at.
    public static let defaultPath = "/etc/apt-ostree/apt-ostreed.conf"

    /// Defaults.
    public init() {}

    /// Reads `path`; a missing file means defaults, a malformed one is an error naming the key.
    public static func load(_ path: String) throws -> DaemonConfig {
        var c = DaemonConfig()
        let kf = g_key_file_new()!
        defer { g_key_file_unref(kf) }
        var err: UnsafeMutablePointer<GError>? = nil
        if g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err) == 0 {
            let notFound = err.map { $0.pointee.domain == g_file_error_quark() && $0.pointee.code == Int32(G_FILE_ERROR_NOENT.rawValue) } ?? false
            let msg = err?.pointee.message.map { String(cString: $0) } ?? "unreadable"
            if let e = err { g_error_free(e) }
            if notFound { return c }
            throw AptOstreeError(.invalidArgument, "\(path): \(msg)")
        }
        func value(_ key: String) -> String? {
            guard let v = g_key_file_get_string(kf, "Daemon", key, nil) else { return nil }
            defer { g_free(v) }
            return String(cString: v).trimmingSpaces
        }
        if let v = value("LogLevel") {
            guard let l = LogLevel(rawValue: v.lowercased()) else {
                throw AptOstreeError(.invalidArgument, "\(path): LogLevel must be debug, info, warning or error, not '\(v)'")
            }
            c.logLevel = l
        }
        if let v = value("IdleExitTimeout") {
            guard let n = UInt32(v) else {
                throw AptOstreeError(.invalidArgument, "\(path): IdleExitTimeout must be a number of seconds, not '\(v)'")
            }
            c.idleExitTimeout = n
        }
        if let v = value("AutomaticUpdatePolicy") {
            guard ["none", "check", "stage"].contains(v) else {
                throw AptOstreeError(.invalidArgument, "\(path): AutomaticUpdatePolicy must be none, check or stage, not '\(v)'")
            }
            c.automaticUpdatePolicy = v
        }
        return c
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// Log levels, least to most severe.
public enum LogLevel: String, Comparable, Sendable {
    case debug, info, warning, error
    var rank: Int { [.debug: 0, .info: 1, .warning: 2, .error: 3][self]! }
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rank < b.rank }
}

/// Log lines on stderr, which journald reads for the service (`<N>` priority prefixes).
public final class DaemonLog: @unchecked Sendable {
    nonisolated(unsafe) var level: LogLevel

    /// Makes a log at `level`.
    public init(level: LogLevel) { self.level = level }

    /// Writes one line if `severity` reaches the configured level.
    public func log(_ severity: LogLevel, _ text: String) {
        guard severity >= level else { return }
        let prio = [LogLevel.debug: 7, .info: 6, .warning: 4, .error: 3][severity]!
        let line = "<\(prio)>apt-ostreed: \(text)\n"
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress!, $0.count) }
    }
}
