import AptOstreeTestSupport
import Foundation
import Testing

private func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

/// `usroverlay` and `apply-live` on a booted deployment: the composed base booted in a mount
/// namespace (scripts/booted-ns.sh), each namespace run being one boot.
@Suite(.serialized) struct LiveTests {
    @Test func usroverlayIsWritableUntilRebootAndHotfixStays() throws {
        let s = try ComposedBase.sysroot(sources: "")
        let notBooted = try s.direct(["usroverlay"])
        #expect(notBooted.status == 1 && notBooted.stderr.contains("usroverlay needs a booted deployment"), "\(notBooted.stderr)")

        let dev = try s.booted("""
            apt-ostree usroverlay && echo written > /usr/aot-dev && cat /usr/aot-dev
            apt-ostree status --json | grep -o '"unlocked" : "[a-z]*"' | head -1
            apt-ostree status | grep -c Unlocked || true
            apt-ostree usroverlay; echo "again=$?"
            """)
        #expect(dev.stdout.contains("Development mode enabled.") && dev.stdout.contains("written\n"), "\(dev.stdout)\(dev.stderr)")
        #expect(dev.stdout.contains("\"unlocked\" : \"development\""), "\(dev.stdout)")
        #expect(dev.stdout.contains("again=1") && dev.stderr.contains("Deployment is already in unlocked state: development"), "\(dev.stderr)")
        // Nothing reached the deployment; the next boot has a read-only /usr again.
        let d = try s.deploymentPath()
        #expect(read(d + "/usr/aot-dev") == nil)
        let next = try s.booted("touch /usr/aot-dev 2>/dev/null && echo writable || echo read-only")
        #expect(next.stdout == "read-only\n", "\(next.stdout)\(next.stderr)")
        #expect(try s.deployments().first?["unlocked"] as? String == "none")

        // --hotfix: kept across boots, an unchanged copy becomes the rollback target.
        let hot = try s.booted("apt-ostree usroverlay --hotfix && echo hot > /usr/aot-hot")
        #expect(hot.status == 0 && hot.stdout.contains("Hotfix mode enabled."), "\(hot.stdout)\(hot.stderr)")
        let list = try s.deployments()
        #expect(list.count == 2 && list[0]["unlocked"] as? String == "hotfix" && list[1]["unlocked"] as? String == "none", "\(list)")
        #expect(list[0]["checksum"] as? String == list[1]["checksum"] as? String)
        #expect(try s.booted("cat /usr/aot-hot").stdout == "hot\n")
    }

    @Test func applyLiveMakesThePendingPackagesLiveUntilReboot() throws {
        var live = TestDeb("aot-live")
        live.files = ["/usr/bin/aot-live": "#!/bin/sh\necho hello live\n", "/etc/aot-live.conf": "conf=1\n"]
        live.conffiles = ["/etc/aot-live.conf"]
        var fakeCA = TestDeb("ca-certificates")
        fakeCA.version = "20990101"
        fakeCA.files = ["/usr/share/aot-fake-ca/version": "20990101\n"]
        var other = TestDeb("aot-other")
        other.files = ["/usr/share/aot-other/marker": "other\n"]
        let repo = try LocalAptRepo([live, fakeCA, other])
        defer { repo.remove() }
        let s = try ComposedBase.sysroot(sources: repo.sourceLine)

        // Bad input: not booted; booted with nothing pending.
        let notBooted = try s.direct(["apply-live"])
        #expect(notBooted.status == 1 && notBooted.stderr.contains("apply-live needs a booted deployment"), "\(notBooted.stderr)")
        let nothing = try s.booted("apt-ostree apply-live")
        #expect(nothing.status == 1 && nothing.stderr == "error: No target commit specified and no pending deployment\n", "\(nothing.stderr)")

        // A pending deployment with a new package, made live on the booted one (index 1).
        #expect(try s.direct(["install", "aot-live"]).status == 0)
        let pending = try #require(try s.deployments().first?["checksum"] as? String)
        let applied = try s.booted(index: 1, """
            set -e
            apt-ostree apply-live
            aot-live
            cat /etc/aot-live.conf
            apt-ostree status --json > /tmp/status.json
            grep -o '"live-replaced" : "[0-9a-f]*"' /tmp/status.json
            apt-ostree status | grep LiveCommit
            apt-ostree apply-live
            """)
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(applied.stdout.contains("Computed package diff: 1 added, 0 changed, 0 removed"), "\(applied.stdout)")
        #expect(applied.stdout.contains("hello live\nconf=1\n") && applied.stdout.contains("\"live-replaced\" : \"\(pending)\""), "\(applied.stdout)")
        #expect(applied.stdout.contains("LiveCommit: \(pending)") && applied.stdout.contains("No changes: the running tree is already"))
        // The next boot of the same deployment: gone.
        #expect(try s.booted(index: 1, "command -v aot-live || echo gone").stdout == "gone\n")
        // apt-ostree-bootstatus.service's command, on a boot of the layered deployment: it
        // names what was booted (the unit's ExecStart, run as systemd would).
        let unit = try String(contentsOf: packageRoot.appendingPathComponent("data/systemd/apt-ostree-bootstatus.service"), encoding: .utf8)
        let exec = try #require(unit.split(separator: "\n").first { $0.hasPrefix("ExecStart=") }.map { String($0.dropFirst(10)) })
        let bootstatus = try s.booted(index: 0, exec.replacingOccurrences(of: "/usr/bin/apt-ostree", with: "apt-ostree"))
        #expect(bootstatus.status == 0 && bootstatus.stdout.contains("● ") && bootstatus.stdout.contains("LayeredPackages: aot-live")
                && bootstatus.stdout.contains("Commit: \(pending)") && !bootstatus.stdout.contains("\n\n"), "\(bootstatus.stdout)\(bootstatus.stderr)")

        // A pending change that replaces a base package: refused, then allowed; --reset undoes it.
        let debDir = FileManager.default.temporaryDirectory.appendingPathComponent("apt-ostree-live-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: debDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: debDir) }
        let deb = try fakeCA.build(into: debDir)
        let replace = try s.direct(["override", "replace", deb])
        #expect(replace.status == 0, "\(replace.stdout)\(replace.stderr)")
        let replaced = try s.booted(index: 1, """
            apt-ostree apply-live; echo "refused=$?"
            apt-ostree apply-live --allow-replacement && cat /usr/share/aot-fake-ca/version
            apt-ostree apply-live --reset && { cat /usr/share/aot-fake-ca/version 2>/dev/null || echo reset; }
            apt-ostree status --json | grep -c live-replaced || true
            """)
        #expect(replaced.stdout.contains("refused=1") && replaced.stderr.contains("packages would be changed: 1 (ca-certificates); use --allow-replacement"),
                "\(replaced.stdout)\(replaced.stderr)")
        #expect(replaced.stdout.contains("20990101\n") && replaced.stdout.contains("reset\n0\n"), "\(replaced.stdout)")

        // install --apply-live on the booted system: staged for the next boot and live now.
        let installed = try s.booted(index: 0, binds: [repo.path], "apt-ostree install --apply-live aot-other && cat /usr/share/aot-other/marker")
        #expect(installed.status == 0 && installed.stdout.hasSuffix("Successfully updated running filesystem tree.\nother\n"), "\(installed.stdout)\(installed.stderr)")
    }
}
