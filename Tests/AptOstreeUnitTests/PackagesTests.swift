import AptOstreeModel
import Testing

@Suite struct PackagesTests {
    @Test(arguments: [
        ("1.0", "1.0", 0), ("1.0", "1.1", -1), ("1.10", "1.9", 1), ("1.0~rc1", "1.0", -1), ("1.0", "1.0+b1", -1),
        ("1:0.9", "2.0", 1), ("2.36-9+deb12u4", "2.36-9+deb12u14", -1), ("1.0-1", "1.0-1~bpo1", 1),
        ("0.10", "0.010", 0), ("1.0a", "1.0", 1), ("1.0~~", "1.0~", -1), ("3.2.2-2", "3.2.2-10", -1),
        ("7.88.1-10+deb12u5", "7.88.1-10+deb12u12", -1), ("1.2.3", "1.2.3-0", 0),
    ])
    func debianVersionsCompareAsDpkgDoes(a: String, b: String, expected: Int) {
        #expect(DebianVersion.compare(a, b) == expected, "\(a) vs \(b)")
        #expect(DebianVersion.compare(b, a) == -expected, "\(b) vs \(a)")
    }

    @Test func diffSortsPackagesIntoAddedRemovedUpgradedDowngraded() {
        let p = { (n: String, v: String) in InstalledPackage(name: n, version: v, architecture: "amd64") }
        let d = PackageDiff(from: [p("a", "1"), p("b", "2.0"), p("c", "1.0~rc1"), p("keep", "1")],
                            to: [p("b", "1.9"), p("c", "1.0"), p("d", "4"), p("keep", "1")])
        #expect(d.added == [p("d", "4")] && d.removed == [p("a", "1")])
        #expect(d.upgraded.map { "\($0.from.version)->\($0.to.version)" } == ["1.0~rc1->1.0"])
        #expect(d.downgraded.map { "\($0.to.name) \($0.from.version)->\($0.to.version)" } == ["b 2.0->1.9"])
        #expect(d.json["added"]?[0]?["name"] == .string("d"))
        #expect(PackageDiff(from: [p("x", "1")], to: [p("x", "1")]).isEmpty)
    }

    @Test func packageListRoundTripsThroughItsJSON() throws {
        let l = PackageList(checksum: "abc", version: "12.1", packages: [InstalledPackage(name: "htop", version: "3.2.2-2", architecture: "amd64")])
        #expect(try PackageList(json: JSONParser.parse(l.json.serialized(pretty: false))) == l)
    }
}

@Suite struct PackageChangeRequestTests {
    @Test func requestRoundTripsThroughItsBusForm() throws {
        var r = PackageChangeRequest(install: ["htop", "jq"], uninstall: ["tree"])
        r.dryRun = true
        r.allowInactive = true
        r.cacheOnly = true
        #expect(try PackageChangeRequest(json: r.json) == r)
        #expect(throws: AptOstreeError.self) { try PackageChangeRequest(json: ["install": "htop"]) }
    }
}
