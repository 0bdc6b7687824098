import AptOstreeDBus
import AptOstreeModel
import CGio
import Testing

/// What crosses the bus: requests as JSON objects, carried as GVariant a{sv}.
@Suite struct WireFormatTests {
    func roundTrip(_ v: JSONValue) -> JSONValue {
        let variant = g_variant_ref_sink(VariantCodec.variant(v))!
        defer { g_variant_unref(variant) }
        return VariantCodec.json(variant)
    }

    @Test func kargsRequestSurvivesJSONAndGVariant() throws {
        var r = KargsRequest()
        r.append = ["quiet", "console=ttyS0,115200n8"]
        r.appendIfMissing = ["rw"]
        r.delete = ["rhgb"]
        r.deleteIfPresent = ["splash"]
        r.replace = ["loglevel=7"]
        r.finalArgs = "root=LABEL=r quiet"
        r.deployIndex = 1
        r.importProcCmdline = true
        r.printOnly = true
        #expect(try KargsRequest(json: roundTrip(r.json)) == r)
        #expect(try KargsRequest(json: roundTrip(KargsRequest().json)) == KargsRequest())
    }

    @Test func malformedKargsRequestIsRefused() {
        #expect(throws: AptOstreeError.self) { try KargsRequest(json: ["append": "quiet"]) }
        #expect(throws: AptOstreeError.self) { try KargsRequest(json: ["delete": [1]]) }
    }

    @Test func cleanupElementsAreRpmOstreesNames() throws {
        let r = CleanupRequest(pending: true, rollback: true, base: false, repomd: true)
        #expect(r.elements == ["pending-deploy", "rollback-deploy", "repomd"])
        #expect(try CleanupRequest(elements: r.elements) == r)
        #expect(throws: AptOstreeError.self) { try CleanupRequest(elements: ["everything"]) }
    }

    @Test func statusSurvivesTheDaemonsJSON() throws {
        var d = DeploymentStatus(id: "debian-abc.0", osname: "debian", serial: 0, checksum: "abc", version: "1.0",
                                 timestamp: 1767441600, origin: "debian/bookworm/x86_64", booted: true, staged: false,
                                 pinned: true, unlocked: "none", request: Origin(refspec: "debian/bookworm/x86_64"))
        d.kernelArgs = ["quiet"]
        d.baseChecksum = "base"
        d.baseVersion = "0.9"
        d.baseTimestamp = 1
        d.packages = ["vim"]
        d.request.requestedPackages = ["vim"]
        d.request.overrideCommit = "abc"
        let host = HostStatus(deployments: [d], transaction: TransactionInfo(title: "kargs", initiator: "uid 0", address: "/t/1"),
                              automaticUpdatePolicy: "check", hasRealBootedDeployment: true)
        let back = try HostStatus(json: JSONParser.parse(host.daemonJSON.serialized(pretty: false)))
        #expect(back == host)
        // Dictionaries drop nulls (GVariant has none); scalars and string lists keep their types.
        #expect(roundTrip(["a": 1, "b": "x", "c": ["y"], "d": nil, "e": true]) == ["a": 1, "b": "x", "c": ["y"], "e": true])
    }
}
