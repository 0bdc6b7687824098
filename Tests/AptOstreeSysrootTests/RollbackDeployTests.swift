import AptOstreeModel
import AptOstreeTestSupport
import Foundation
import Testing

func statusJSON(_ s: TestSysroot) throws -> [JSONValue] {
    try JSONParser.parse(try s.cli(["status", "--json"]).stdout)["deployments"]?.arrayValue ?? []
}

@Suite struct RollbackTests {
    @Test func rollbackSwapsDefaultDeploymentAndBack() throws {
        let s = try TestSysroot(versions: ["1.0", "1.1"])
        let before = try s.ostreeAdminStatus().map(\.id)
        let r = try s.cli(["rollback"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Moving '\(before[1])' to be first deployment"))
        #expect(try s.ostreeAdminStatus().map(\.id) == [before[1], before[0]])
        // The boot menu's first entry is now 1.0.
        #expect(try s.bootEntries().first?["title"]?.contains("test 1.0") == true)
        #expect(try s.cli(["rollback"]).status == 0)
        #expect(try s.ostreeAdminStatus().map(\.id) == before)
    }

    @Test func rollbackMovesTheNextDeploymentOfThreeToTheTop() throws {
        let s = try TestSysroot(versions: ["1.0", "1.1", "1.2"])
        let before = try s.ostreeAdminStatus().map(\.id)
        #expect(try s.cli(["rollback"]).status == 0)
        #expect(try s.ostreeAdminStatus().map(\.id) == [before[1], before[0], before[2]])
    }

    @Test func rollbackWithOneDeploymentFailsAndChangesNothing() throws {
        let s = try TestSysroot(versions: ["1.0"])
        let fp = try s.fingerprint()
        let r = try s.cli(["rollback"])
        #expect(r.status == 1)
        #expect(r.stderrLines == ["error: No rollback deployment found"])
        #expect(try s.fingerprint() == fp)
        // No lock is left behind: the next transaction runs.
        #expect(try s.cli(["kargs", "--append=quiet"]).status == 0)
    }
}

@Suite struct DeployTests {
    @Test func deployByVersionMakesThatCommitTheDefault() throws {
        // 1.0, 1.1 and 1.2 are committed on the ref; only 1.0 and 1.1 are deployed.
        let s = try TestSysroot(versions: ["1.0", "1.1", "1.2"], deploy: 2)
        let v10 = try s.revParse("\(s.ref)^^")
        let r = try s.cli(["deploy", "1.0"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Deploying 1.0 (\(v10))"))
        let list = try statusJSON(s)
        #expect(list[0]["checksum"]?.stringValue == v10)
        #expect(list[0]["version"] == "1.0")
        #expect(list[0]["override-commit"]?.stringValue == v10)
        // rpm-ostree keeps the new deployment and the one it merged from.
        #expect(list.count == 2)
        #expect(list[1]["version"] == "1.1")
        let origin = try String(contentsOfFile: "\(s.path)/ostree/deploy/debian/deploy/\(v10).\(list[0]["serial"]!.intValue!).origin", encoding: .utf8)
        #expect(origin.contains("override-commit=\(v10)"))
        #expect(origin.contains("refspec=\(s.ref)"))
        // The newer, undeployed head shows as an available update.
        #expect(list[0]["pending-base-checksum"] == nil)
    }

    @Test func deployByChecksumAndVersionPrefixForms() throws {
        let s = try TestSysroot(versions: ["1.0", "1.1", "1.2"], deploy: 2)
        let head = try s.revParse(s.ref)
        #expect(try s.cli(["deploy", "revision=\(head)"]).status == 0)
        #expect(try statusJSON(s)[0]["version"] == "1.2")
        #expect(try s.cli(["deploy", "version=1.1"]).status == 0)
        #expect(try statusJSON(s)[0]["version"] == "1.1")
        // Deploying what is already the default is no change; exit 77 when asked.
        let again = try s.cli(["deploy", "1.1", "--unchanged-exit-77"])
        #expect(again.status == 77)
        #expect(again.stdout.contains("No change."))
    }

    @Test(arguments: ["9.9", "0000000000000000000000000000000000000000000000000000000000000000", "version="])
    func unknownRevisionFailsWithOneLineAndChangesNothing(_ rev: String) throws {
        let s = try TestSysroot(versions: ["1.0", "1.1"])
        let fp = try s.fingerprint()
        let r = try s.cli(["deploy", rev])
        #expect(r.status == 1)
        #expect(r.stderrLines.count == 1)
        #expect(r.stderr.hasPrefix("error: Resolving '\(rev)' in \(s.ref): "))
        #expect(try s.fingerprint() == fp)
    }
}

@Suite struct CleanupTests {
    @Test func cleanupRollbackRemovesEverythingAfterTheBootedDeployment() throws {
        let s = try TestSysroot(versions: ["1.0", "1.1", "1.2"])
        let before = try s.ostreeAdminStatus().map(\.id)
        let r = try s.cli(["cleanup", "-r"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try s.ostreeAdminStatus().map(\.id) == [before[0]])
        let dirs = try FileManager.default.contentsOfDirectory(atPath: "\(s.path)/ostree/deploy/debian/deploy")
            .filter { !$0.hasSuffix(".origin") }
        #expect(dirs == [before[0]])
        #expect(try s.ostree(["fsck"]).status == 0)
    }

    @Test func cleanupPendingKeepsTheStandInBootedDeployment() throws {
        let s = try TestSysroot(versions: ["1.0", "1.1"])
        let fp = try s.fingerprint()
        let r = try s.cli(["cleanup", "-p"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Deployments unchanged."))
        #expect(try s.ostreeAdminStatus().count == 2)
        #expect(try s.fingerprint() == fp)
    }

    @Test func cleanupRepomdEmptiesThePackageCache() throws {
        let s = try TestSysroot(versions: ["1.0"])
        let cache = "\(s.path)/ostree/deploy/debian/var/cache/apt-ostree"
        try FileManager.default.createDirectory(atPath: cache + "/lists/partial", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: cache + "/lists/Packages", contents: Data("x".utf8))
        #expect(try s.cli(["cleanup", "-m"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache).isEmpty)
    }

    @Test func cleanupWithoutOptionsIsAnError() throws {
        let s = try TestSysroot(versions: ["1.0"])
        let r = try s.cli(["cleanup"])
        #expect(r.status == 1)
        #expect(r.stderrLines == ["error: At least one cleanup option must be specified"])
    }
}
