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

    /// The timer and service `AutomaticUpdates:` names, as rpm-ostree names its own.
    static let automaticTimer = "apt-ostreed-automatic.timer"
    static let automaticService = "apt-ostreed-automatic.service"

    /// Renders the whole status; `now` dates the automatic service's last run ("4min ago").
    public static func render(_ status: HostStatus, verbose: Bool, onlyBooted: Bool, glyphs: Glyphs,
                              now: Int64 = Int64(time(nil))) -> String {
        var out = ""
        if let t = status.transaction {
            out += "State: busy\nTransaction: \(t.title)\n  Initiator: \(t.initiator)\n"
        } else {
            out += "State: idle\n"
        }
        out += automaticUpdatesLine(status, now: now)
        out += onlyBooted ? "BootedDeployment:\n" : "Deployments:\n"
        let multipleStateroots = Set(status.deployments.map(\.osname)).count > 1
        var first = true
        for (index, d) in status.deployments.enumerated() where !onlyBooted || d.booted {
            if !first { out += "\n" }
            out += renderDeployment(d, index: index, verbose: verbose, showStateroot: verbose || multipleStateroots,
                                    glyphs: glyphs)
            first = false
        }
        if status.automaticUpdatePolicy != "none", let u = status.cachedUpdate {
            out += "\n" + renderCachedUpdate(u, verbose: verbose)
        }
        return out
    }

    /// `AutomaticUpdates: check; apt-ostreed-automatic.timer: last run 4min ago (no update)`:
    /// the policy and what the service's last run did (from its own record, so a sysroot in
    /// a folder has one too).
    static func automaticUpdatesLine(_ status: HostStatus, now: Int64) -> String {
        guard status.automaticUpdatePolicy != "none" else { return "AutomaticUpdates: disabled\n" }
        var out = "AutomaticUpdates: \(status.automaticUpdatePolicy); "
        if let run = status.lastAutomaticRun {
            out += run.failed ? "\(automaticService): last run failed: \(run.result)"
                : "\(automaticTimer): last run \(formatAgo(now - run.timestamp)) (\(run.result))"
        } else {
            out += "\(automaticTimer): no runs yet"
        }
        return out + "\n"
    }

    /// rpm-ostree's `AvailableUpdate:` block for the cached update.
    static func renderCachedUpdate(_ u: JSONValue, verbose: Bool) -> String {
        func line(_ key: String, _ value: String) -> String {
            "  " + String(repeating: " ", count: max(0, 13 - key.count)) + key + ": " + value + "\n"
        }
        var out = "AvailableUpdate:\n"
        let ts = formatTimestamp(UInt64(max(0, u["timestamp"]?.intValue ?? 0)))
        out += u["version"]?.stringValue.map { line("Version", "\($0) (\(ts))") } ?? line("Timestamp", ts)
        out += line("Commit", u["checksum"]?.stringValue ?? "")
        if u["security"]?.boolValue == true { out += line("SecAdvisories", "marked as a security update") }
        if let diff = u["package-diff"] {
            let counts = [("upgraded", "upgraded"), ("downgraded", "downgraded"), ("removed", "removed"), ("added", "added")]
                .compactMap { key, word -> String? in
                    let n = diff[key]?.arrayValue?.count ?? 0
                    return n > 0 ? "\(n) \(word)" : nil
                }
            out += line("Diff", counts.isEmpty ? "no changes" : counts.joined(separator: ", "))
            if verbose {
                for c in (diff["upgraded"]?.arrayValue ?? []) + (diff["downgraded"]?.arrayValue ?? []) {
                    out += "                 \(c["name"]?.stringValue ?? "") \(c["from"]?.stringValue ?? "") -> \(c["to"]?.stringValue ?? "")\n"
                }
            }
        }
        return out
    }

    /// `45s ago`, `4min ago`, `3h 2min ago`, `2 days ago`, as systemd words it.
    public static func formatAgo(_ seconds: Int64) -> String {
        let s = max(0, seconds)
        if s < 60 { return "\(s)s ago" }
        if s < 3600 { return "\(s / 60)min ago" }
        if s < 86400 { return "\(s / 3600)h \(s % 3600 / 60)min ago" }
        return "\(s / 86400) day\(s / 86400 == 1 ? "" : "s") ago"
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
