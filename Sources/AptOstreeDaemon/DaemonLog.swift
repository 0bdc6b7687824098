import AptOstreeCore
#if canImport(Glibc)
import Glibc
#endif

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
