import AptOstreeTestSupport
import Foundation
import Testing

/// Failpoints (APT_OSTREE_FAILPOINTS) on real sysroots: a failing step reports one line and
/// leaves the deployments as they were; an aborted one (SIGKILL at that step) leaves the old
/// set or the complete new one, no lock, and the next transaction works.
@Suite struct FailpointSysrootTests {
    func fingerprint(_ s: TestSysroot) throws -> String {
        try run(["sh", "-c", "cd \"$1\" && cat boot/loader/entries/*.conf ostree/deploy/*/deploy/*.origin | sha256sum", "sh", s.path]).stdout
    }

    func lockIsFree(_ s: TestSysroot) throws -> Bool {
        try run(["flock", "-n", s.path + "/ostree/lock", "true"]).status == 0
    }

    @Test(arguments: ["deploy.before", "deploy.after-tree"])
    func aFailingStepBeforeTheSwapLeavesTheSysrootAsItWas(failpoint: String) throws {
        let s = try TestSysroot(versions: ["1.0", "1.1"])
        let before = try fingerprint(s)
        let deployDirs = try FileManager.default.contentsOfDirectory(atPath: s.path + "/ostree/deploy/debian/deploy").sorted()
        let r = try s.cli(["kargs", "--append=quiet"], environment: ["APT_OSTREE_FAILPOINTS": failpoint])
        #expect(r.status == 1 && r.stderrLines.count == 1 && r.stderr.contains("failpoint \(failpoint) reached (APT_OSTREE_FAILPOINTS)"), "\(r.stderr)")
        #expect(try fingerprint(s) == before)
        // No half-made deployment folder is left.
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.path + "/ostree/deploy/debian/deploy").sorted() == deployDirs)
        #expect(try s.cli(["kargs", "--append=quiet"]).status == 0)
    }

    @Test func anAbortAfterTheSwapKeepsTheCompleteNewDeployment() throws {
        let s = try TestSysroot(versions: ["1.0", "1.1"])
        let r = try s.cli(["kargs", "--append=aot.abort"], environment: ["APT_OSTREE_FAILPOINTS": "deploy.after=abort"])
        #expect(r.status == 128 + 9, "killed by SIGKILL, not \(r.status): \(r.stderr)")
        let options = try #require(try s.bootEntries().first?["options"])
        #expect(options.contains("aot.abort"))
        #expect(try lockIsFree(s))
        #expect(try s.ostree(["admin", "status"]).status == 0)
        #expect(try s.cli(["rollback"]).status == 0)
        #expect(try s.bootEntries().first?["options"]?.contains("aot.abort") == false)
    }

    @Test func anAbortBeforeTheRollbackSwapChangesNothing() throws {
        let s = try TestSysroot(versions: ["1.0", "1.1"])
        let before = try fingerprint(s)
        let r = try s.cli(["rollback"], environment: ["APT_OSTREE_FAILPOINTS": "deploy.before=abort"])
        #expect(r.status == 128 + 9)
        #expect(try fingerprint(s) == before && lockIsFree(s))
        #expect(try s.cli(["rollback"]).status == 0)
        #expect(try fingerprint(s) != before)
    }
}
