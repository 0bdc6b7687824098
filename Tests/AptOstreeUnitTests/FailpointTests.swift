import AptOstreePOSIX
import Testing

@Suite struct FailpointTests {
    @Test func specNamesFailpointsWithFailAsTheDefaultAction() {
        let t = Failpoint.parse("deploy.before, dpkg.mid=abort,pull.mid=fail,,x=bogus")
        #expect(t == ["deploy.before": .fail, "dpkg.mid": .abort, "pull.mid": .fail, "x": .fail])
        #expect(Failpoint.parse("").isEmpty)
    }

    @Test func everyFailpointHasAUniqueName() {
        #expect(Set(Failpoint.all).count == Failpoint.all.count)
        #expect(Failpoint.all.allSatisfy { !$0.contains(",") && !$0.contains("=") })
    }

    @Test func unsetFailpointsDoNothing() throws {
        // The test process runs without APT_OSTREE_FAILPOINTS.
        for name in Failpoint.all { try Failpoint.hit(name) }
        let d = DeferredFailpoint("dpkg.mid")
        d.reach()
        #expect(!d.reached && !d.shouldStop)
        try d.raise()
    }
}
