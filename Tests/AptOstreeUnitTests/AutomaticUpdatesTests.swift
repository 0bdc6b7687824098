@testable import AptOstreeCLI
import AptOstreeCore
import AptOstreeModel
import Foundation
import Testing

@Suite struct AutomaticUpdatesTests {
    let monday: Int64 = 1_795_392_000   // 2026-11-23 00:00 UTC, a Monday

    @Test func countMeWindowsStartOnMondays() {
        #expect(CountMeCookie.windowStart(monday) == monday)
        #expect(CountMeCookie.windowStart(monday + 6 * 86400 + 86399) == monday)
        #expect(CountMeCookie.windowStart(monday + 7 * 86400) == monday + 7 * 86400)
        var tm = tm(); var t = time_t(CountMeCookie.windowStart(monday + 3 * 86400)); gmtime_r(&t, &tm)
        #expect(tm.tm_wday == 1)
    }

    @Test func countMeReportsOncePerWeekWithTheAgeBucket() {
        let first = CountMeCookie.after(nil, reportAt: monday + 3600)
        #expect(first.epoch == monday && first.lastWindow == monday)
        #expect(first.counted(at: monday + 5 * 86400))
        #expect(!first.counted(at: monday + 7 * 86400))
        #expect(first.bucket(at: monday + 3600) == 1)
        #expect(first.bucket(at: monday + 7 * 86400) == 2)
        #expect(first.bucket(at: monday + 27 * 86400) == 2)
        #expect(first.bucket(at: monday + 28 * 86400) == 3)
        #expect(first.bucket(at: monday + 24 * 7 * 86400) == 4)
        // A later report keeps the epoch; a never-counted cookie is not "counted".
        let later = CountMeCookie.after(first, reportAt: monday + 30 * 86400)
        #expect(later.epoch == monday && later.lastWindow == CountMeCookie.windowStart(monday + 30 * 86400))
        #expect(!CountMeCookie(epoch: monday, lastWindow: 0).counted(at: monday))
        // The file format, and malformed files are ignored.
        #expect(CountMeCookie(json: first.json) == first)
        #expect(CountMeCookie(json: ["epoch": -1, "window": 5]) == nil)
    }

    @Test func policyParsingNamesTheKey() throws {
        #expect(try AutomaticUpdatePolicy(config: "Stage", file: "f") == .stage)
        #expect(throws: AptOstreeError.self) { try AutomaticUpdatePolicy(config: "daily", file: "f") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aot-conf-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir + "/etc/apt-ostree", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try DaemonConfig.load(machineRoot: dir) == DaemonConfig())
        try "[Daemon]\nAutomaticUpdatePolicy=check\n[CountMe]\nEnabled=true\n".write(toFile: dir + DaemonConfig.defaultPath, atomically: true, encoding: .utf8)
        let c = try DaemonConfig.load(machineRoot: dir)
        #expect(c.automaticUpdatePolicy == .check && c.countMe)
        try "[Daemon]\nAutomaticUpdatePolicy=weekly\n".write(toFile: dir + DaemonConfig.defaultPath, atomically: true, encoding: .utf8)
        do {
            _ = try DaemonConfig.load(machineRoot: dir)
            Issue.record("a bad policy was accepted")
        } catch let e as AptOstreeError {
            #expect(e.message.contains("AutomaticUpdatePolicy must be none, check, stage or security, not 'weekly'"))
        }
    }

    @Test func statusShowsThePolicyTheLastRunAndTheCachedUpdate() throws {
        var s = HostStatus(deployments: [], automaticUpdatePolicy: "check")
        #expect(StatusRenderer.automaticUpdatesLine(s, now: 1000) == "AutomaticUpdates: check; apt-ostreed-automatic.timer: no runs yet\n")
        s.lastAutomaticRun = AutomaticRun(timestamp: 1000 - 240, policy: "check", result: "update available: 12.1", failed: false)
        #expect(StatusRenderer.automaticUpdatesLine(s, now: 1000)
                == "AutomaticUpdates: check; apt-ostreed-automatic.timer: last run 4min ago (update available: 12.1)\n")
        s.lastAutomaticRun?.failed = true
        #expect(StatusRenderer.automaticUpdatesLine(s, now: 1000).contains("apt-ostreed-automatic.service: last run failed"))
        s.cachedUpdate = ["checksum": "abc", "version": "12.1", "timestamp": 0,
                          "package-diff": ["upgraded": [["name": "tzdata", "from": "1", "to": "2"]], "added": [], "removed": [], "downgraded": []]]
        let text = StatusRenderer.render(s, verbose: false, onlyBooted: false, glyphs: .ascii, now: 1000)
        #expect(text.hasSuffix("AvailableUpdate:\n        Version: 12.1 (1970-01-01T00:00:00Z)\n         Commit: abc\n           Diff: 1 upgraded\n"))
        #expect(s.json()["automatic-updates"]?["policy"] == "check")
        #expect(try HostStatus(json: s.daemonJSON).lastAutomaticRun == s.lastAutomaticRun)
    }

    @Test func theAutomaticTimerRunsDailyWithARandomDelayAndCatchesUp() throws {
        let timer = try String(contentsOf: packageRoot.appendingPathComponent("data/systemd/apt-ostreed-automatic.timer"), encoding: .utf8)
        let lines = timer.split(separator: "\n").map(String.init)
        #expect(lines.contains("Persistent=true"))
        #expect(lines.contains { $0.hasPrefix("RandomizedDelaySec=") })
        let calendar = try #require(lines.first { $0.hasPrefix("OnCalendar=") }).dropFirst("OnCalendar=".count)
        // systemd's own reading of the expression: the next two elapses are one day apart.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        p.arguments = ["calendar", "--iterations=2", String(calendar)]
        p.environment = ["TZ": "UTC", "LC_ALL": "C"]
        let pipe = Pipe(); p.standardOutput = pipe
        try p.run(); p.waitUntilExit()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0)
        #expect(out.contains("Normalized form: *-*-* 00:00:00"), "\(out)")
        #expect(out.contains("Iter. #2"))
    }
}

private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
