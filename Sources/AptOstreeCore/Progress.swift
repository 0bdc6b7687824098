import AptOstreeModel

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
