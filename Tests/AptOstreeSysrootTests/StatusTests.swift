import AptOstreeModel
import AptOstreeTestSupport
import Foundation
import Testing

/// `status` against real sysroots: compared with what libostree and `ostree admin status` report.
@Suite struct StatusTests {
    @Test func jsonMatchesOstreeAdminStatus() throws {
        let s = try TestSysroot(versions: ["1.0", "1.1"])
        let r = try s.cli(["status", "--json"])
        #expect(r.status == 0)
        let json = try JSONParser.parse(r.stdout)
        let deployments = try #require(json["deployments"]?.arrayValue)
        let admin = try s.ostreeAdminStatus()
        #expect(deployments.count == 2)
        #expect(admin.count == 2)
        for (d, a) in zip(deployments, admin) {
            let csum = try #require(d["checksum"]?.stringValue)
            let serial = try #require(d["serial"]?.intValue)
            #expect("\(csum).\(serial)" == a.id)
            #expect(d["osname"]?.stringValue == a.osname)
            #expect(d["version"]?.stringValue == a.version)
            #expect(d["id"]?.stringValue == "\(a.osname)-\(a.id)")
            #expect(d["origin"]?.stringValue == s.ref)
        }
        #expect(deployments[0]["checksum"]?.stringValue == (try s.revParse(s.ref)))
        #expect(deployments[0]["version"] == "1.1")
        // Nothing is booted in a folder: the default stands in for the booted deployment.
        #expect(deployments.map { $0["booted"] } == [true, false])
        for key in ["transaction", "cached-update", "update-driver"] { #expect(json[key] == .null) }
        let commitTime = try s.ostree(["show", "--print-metadata-key=version", s.ref]).stdout
        #expect(commitTime.contains("1.1"))
    }

    @Test func kernelArgsComeFromTheBootEntries() throws {
        let s = try TestSysroot(versions: ["1.0"], kargs: ["root=LABEL=x", "quiet"])
        let json = try JSONParser.parse(try s.cli(["status", "--json"]).stdout)
        #expect(json["deployments"]?[0]?["kernel-args"] == ["root=LABEL=x", "quiet"])
        let options = try #require(try s.bootEntries().first?["options"])
        #expect(options.hasPrefix("root=LABEL=x quiet ostree="))
    }

    @Test func humanOutputStartsWithStateAndMarksTheBootedDeployment() throws {
        let s = try TestSysroot(versions: ["1.0", "1.1"])
        let text = try s.cli(["status"], environment: ["LC_ALL": "C.UTF-8"]).stdout
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "State: idle")
        #expect(lines.contains("● \(s.ref)"))
        #expect(lines.contains("                  Version: 1.1 (2026-01-02T12:00:00Z)"))
        #expect(lines.filter { $0.hasPrefix("  \(s.ref)") }.count == 1)
        let ascii = try s.cli(["status", "-b"], environment: ["LC_ALL": "C"]).stdout
        #expect(ascii.contains("BootedDeployment:\n* \(s.ref)\n"))
        #expect(!ascii.contains("Version: 1.0"))
    }

    @Test func jsonpathFiltersAndBootedLimitsTheList() throws {
        let s = try TestSysroot(versions: ["1.0", "1.1"])
        let r = try s.cli(["status", "--jsonpath", "$.deployments[*].version"])
        #expect(try JSONParser.parse(r.stdout) == ["1.1", "1.0"])
        let booted = try JSONParser.parse(try s.cli(["status", "--json", "--booted"]).stdout)
        #expect(booted["deployments"]?.arrayValue?.count == 1)
        let bad = try s.cli(["status", "--jsonpath", "deployments"])
        #expect(bad.status == 1)
        #expect(bad.stderrLines.count == 1)
        #expect(bad.stderr.hasPrefix("error: While compiling jsonpath"))
        #expect(try s.cli(["status", "--json", "--jsonpath", "$"]).status == 64)
    }

    @Test func unprivilegedUsersReadStatusWithoutADaemonButCannotChangeAnything() throws {
        let s = try TestSysroot(versions: ["1.0", "1.1"])
        let nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", aptOstreeBinary]
        let status = try run(nobody + ["status", "--json", "--sysroot=\(s.path)"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(try JSONParser.parse(status.stdout)["deployments"]?.arrayValue?.count == 2)
        let fp = try s.fingerprint()
        let kargs = try run(nobody + ["kargs", "--append=x", "--sysroot=\(s.path)"])
        #expect(kargs.status == 1)
        #expect(kargs.stderrLines == ["error: kargs must be run as root"])
        #expect(try s.fingerprint() == fp)
    }

    @Test func pendingExit77OnlyWithAPendingDeployment() throws {
        let s = try TestSysroot(versions: ["1.0", "1.1"])
        // The default stands in for the booted one, so nothing is pending in a folder.
        #expect(try s.cli(["status", "--pending-exit-77"]).status == 0)
    }

    @Test func notASysrootGivesOneErrorLineAndExit1() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-sysroot-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run([aptOstreeBinary, "status", "--sysroot=\(dir)"])
        #expect(r.status == 1)
        #expect(r.stderrLines == ["error: \(dir) is not an OSTree sysroot (no ostree/repo or ostree/deploy)"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        let missing = try run([aptOstreeBinary, "status", "--sysroot=\(dir)/nope"])
        #expect(missing.status == 1)
        #expect(missing.stderrLines == ["error: \(dir)/nope: no such directory"])
    }

    @Test func unknownStaterootIsRefused() throws {
        let s = try TestSysroot(versions: ["1.0"])
        let r = try s.cli(["status", "--os=fedora"])
        #expect(r.status == 1)
        #expect(r.stderrLines == ["error: Unknown stateroot 'fedora' in \(s.path)"])
    }

    @Test func versionAndHelpOnEveryCommand() throws {
        for cmd in ["status", "deploy", "rollback", "kargs", "cleanup"] {
            let v = try run([aptOstreeBinary, cmd, "--version"])
            #expect(v.status == 0)
            #expect(v.stdout.hasPrefix("apt-ostree "), "\(cmd) --version")
            let h = try run([aptOstreeBinary, cmd, "--help"])
            #expect(h.status == 0)
            #expect(h.stdout.contains("--sysroot"))
        }
        #expect(try run([aptOstreeBinary, "--version"]).stdout.hasPrefix("0."))
    }
}
