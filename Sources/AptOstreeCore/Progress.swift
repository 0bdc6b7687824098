import AptOstreeModel
import OSTreeKit

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

extension PullProgress {
    /// One line: `Receiving objects: 450/1000, 3.4 MB at 1.2 MB/s, 0:12 left`; for the summary,
    /// `Pulled 1 delta part, 25 objects, 100.6 kB in 0.1 s at 669.5 kB/s`.
    public var text: String {
        if !status.isEmpty && !isSummary { return status }
        let rateText = rate > 0 ? " at \(formatSize(UInt64(rate)))/s" : ""
        if isSummary {
            let parts = deltaParts.total > 0 ? "\(deltaParts.fetched) delta part\(deltaParts.fetched == 1 ? "" : "s"), " : ""
            return "Pulled \(parts)\(fetched) object\(fetched == 1 ? "" : "s"), \(formatSize(bytes)) in \(formatDuration(seconds))" + rateText
        }
        let left = secondsLeft.map { ", \(formatDuration($0)) left" } ?? ""
        if deltaParts.total > 0 {
            return "Receiving delta parts: \(deltaParts.fetched)/\(deltaParts.total), \(formatSize(deltaBytes.fetched))/\(formatSize(deltaBytes.total))\(rateText)\(left)"
        }
        if outstandingMetadataFetches > 0 {
            return "Receiving metadata objects: \(fetched), \(formatSize(bytes))\(rateText)"
        }
        return "Receiving objects: \(fetched)/\(requested), \(formatSize(bytes))\(rateText)\(left)"
    }
}

/// A duration for people: `7.5 s` under ten seconds, else `0:12`, `12:30`, `1:02:03`.
public func formatDuration(_ s: Double) -> String {
    if s < 10 { return "\(Int(s * 10) / 10).\(Int(s * 10) % 10) s" }
    let t = Int(s.rounded())
    func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return t >= 3600 ? "\(t / 3600):" + pad(t / 60 % 60) + ":" + pad(t % 60) : "\(t / 60):" + pad(t % 60)
}
