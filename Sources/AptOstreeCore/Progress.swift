/// Where an operation reports what it is doing. The engine never prints: the CLI renders
/// these events on a terminal, the daemon will turn them into D-Bus signals.
public protocol ProgressSink: Sendable {
    /// A line of information for the user ("Moving 'abc.0' to be first deployment").
    func message(_ text: String)
}

/// Drops every event (tests, quiet mode).
public struct SilentProgress: ProgressSink {
    public init() {}
    public func message(_ text: String) {}
}

/// A byte count for people: `512 bytes`, `1.5 kB`, `3.2 MB` (SI units, as GLib prints them).
public func formatSize(_ bytes: UInt64) -> String {
    if bytes < 1000 { return "\(bytes) bytes" }
    let units = ["kB", "MB", "GB", "TB"]
    var value = Double(bytes) / 1000
    var i = 0
    while value >= 1000 && i < units.count - 1 { value /= 1000; i += 1 }
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) \(units[i])"
}
