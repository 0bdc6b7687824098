import AptOstreeModel
#if canImport(Glibc)
import Glibc
#endif

/// The glyphs status uses: `●` on a UTF-8 terminal, `*` otherwise (as systemd and rpm-ostree).
public struct Glyphs: Sendable {
    public var bootedMarker: String
    public var treeRight: String

    /// UTF-8 glyphs.
    public static let unicode = Glyphs(bootedMarker: "●", treeRight: "└─")
    /// ASCII glyphs.
    public static let ascii = Glyphs(bootedMarker: "*", treeRight: "`-")

    /// Picks by the locale variables (LC_ALL, then LC_CTYPE, then LANG).
    public static func forTerminal() -> Glyphs {
        for name in ["LC_ALL", "LC_CTYPE", "LANG"] {
            if let v = getenv(name), v.pointee != 0 {
                let s = String(cString: v).lowercased()
                return s.contains("utf-8") || s.contains("utf8") ? .unicode : .ascii
            }
        }
        return .ascii
    }
}

/// Human `status` output: a pure function of the model, in rpm-ostree's layout.
public enum StatusRenderer {
    /// The width rpm-ostree pads keys to (its longest key, "InactiveRemoteOverrides").
    static let keyWidth = 23

    /// Renders the whole status.
    public static func render(_ status: HostStatus, verbose: Bool, onlyBooted: Bool, glyphs: Glyphs) -> String {
        var out = ""
        if let t = status.transaction {
            out += "State: busy\nTransaction: \(t.title)\n  Initiator: \(t.initiator)\n"
        } else {
            out += "State: idle\n"
        }
        out += status.automaticUpdatePolicy == "none"
            ? "AutomaticUpdates: disabled\n" : "AutomaticUpdates: \(status.automaticUpdatePolicy)\n"
        out += onlyBooted ? "BootedDeployment:\n" : "Deployments:\n"
        let multipleStateroots = Set(status.deployments.map(\.osname)).count > 1
        var first = true
        for (index, d) in status.deployments.enumerated() where !onlyBooted || d.booted {
            if !first { out += "\n" }
            out += renderDeployment(d, index: index, verbose: verbose, showStateroot: verbose || multipleStateroots,
                                    glyphs: glyphs)
            first = false
        }
        return out
    }

    static func kv(_ key: String, _ value: String) -> String {
        let pad = max(0, keyWidth - key.count)
        return "  " + String(repeating: " ", count: pad) + key + ": " + value + "\n"
    }

    static func list(_ key: String, _ values: [String]) -> String {
        values.isEmpty ? "" : kv(key, values.sorted().joined(separator: " "))
    }

    /// One line per distinct `what`: the names sharing it, then it.
    static func grouped(_ key: String, _ entries: [(name: String, what: String)]) -> String {
        var order: [String] = [], names: [String: [String]] = [:]
        for e in entries {
            if names[e.what] == nil { order.append(e.what) }
            names[e.what, default: []].append(e.name)
        }
        var out = ""
        for (i, what) in order.enumerated() {
            let line = names[what]!.sorted().joined(separator: " ") + " " + what
            out += i == 0 ? kv(key, line) : String(repeating: " ", count: keyWidth + 4) + line + "\n"
        }
        return out
    }

    static func renderDeployment(_ d: DeploymentStatus, index: Int, verbose: Bool, showStateroot: Bool,
                                 glyphs: Glyphs) -> String {
        var out = (d.booted ? glyphs.bootedMarker : " ") + " "
        out += d.containerImageReference ?? d.origin ?? d.checksum
        if verbose { out += " (index: \(index))" }
        out += "\n"
        let ts = formatTimestamp(d.isLayered ? (d.baseTimestamp ?? d.timestamp) : d.timestamp)
        let version = d.isLayered ? d.baseVersion : d.version
        out += version.map { kv("Version", "\($0) (\(ts))") } ?? kv("Timestamp", ts)
        if let base = d.baseChecksum {
            out += kv("BaseCommit", base)
            if verbose { out += kv("Commit", d.checksum) }
        } else {
            out += kv("Commit", d.checksum)
        }
        if let pinned = d.request.overrideCommit, verbose { out += kv("PinnedCommit", pinned) }
        if let live = d.liveInProgress { out += kv("InterruptedLiveCommit", live) }
        if let live = d.liveReplaced { out += kv("LiveCommit", live) }
        if let p = d.pendingBaseChecksum, d.booted {
            out += kv("AvailableUpdate", (d.pendingBaseVersion.map { "\($0) " } ?? "") + "(\(p))")
        }
        if verbose && (d.staged || index == 0) { out += kv("Staged", d.staged ? "yes" : "no") }
        if showStateroot { out += kv("StateRoot", d.osname) }
        // rpm-ostree's grouping: the packages sharing a version (or a change) on one line.
        out += grouped("RemovedBasePackages", d.baseRemovals.map { ($0.name, $0.version) })
        out += grouped("LocalOverrides", d.baseLocalReplacements.map { ($0.to.name, "\($0.from.version) -> \($0.to.version)") })
        out += list("LayeredPackages", d.packages)
        if verbose {
            out += list("InactiveRequests", d.request.requestedPackages.filter { !d.packages.contains($0) })
            out += list("InactiveBaseRemovals", d.request.overrideRemove.filter { n in !d.baseRemovals.contains { $0.name == n } })
        }
        out += list("LocalPackages", d.request.requestedLocalPackages)
        if d.request.regenerateInitramfs {
            let args = d.request.initramfsArgs
            out += kv("Initramfs", args.isEmpty ? "regenerate" : "regenerate: \(args.joined(separator: " "))")
        }
        out += list("InitramfsEtc", d.request.initramfsEtc)
        if verbose && !d.kernelArgs.isEmpty { out += kv("KernelArgs", d.kernelArgs.joined(separator: " ")) }
        if verbose, let diff = d.packageDiff { out += kv("Diff", diff) }
        if d.pinned { out += kv("Pinned", "yes") }
        if d.unlocked != "none" { out += kv("Unlocked", d.unlocked) }
        return out
    }

    /// `2026-11-25T10:00:00Z`, as rpm-ostree prints commit timestamps.
    public static func formatTimestamp(_ t: UInt64) -> String {
        var time = time_t(t)
        var tmv = tm()
        guard gmtime_r(&time, &tmv) != nil else { return "(invalid timestamp)" }
        var buf = [CChar](repeating: 0, count: 32)
        let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%SZ", &tmv)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
