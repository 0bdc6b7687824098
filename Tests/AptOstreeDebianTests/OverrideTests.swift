import AptOstreeTestSupport
import Foundation
import Testing

private func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

/// `dpkg-query -W` of `names` in the default deployment's database: "name version" lines of
/// those installed (a purged package dpkg still knows of prints no "ii").
private func installed(_ s: TestSysroot, _ names: [String]) throws -> String {
    let admindir = try s.deploymentPath() + "/usr/lib/sysimage/dpkg"
    let out = try run(["dpkg-query", "--admindir=\(admindir)", "-W", "-f", "${db:Status-Abbrev}${Package} ${Version}\n"] + names).stdout
    return out.split(separator: "\n").filter { $0.hasPrefix("ii ") }.map { $0.dropFirst(3) + "\n" }.joined()
}

/// A stand-in for the base's ca-certificates (a leaf of the composed minimal base) at another version.
private func fakeCACertificates(_ version: String) -> TestDeb {
    var d = TestDeb("ca-certificates")
    d.version = version
    d.files = ["/usr/share/aot-fake-ca/version": version + "\n"]
    return d
}

/// `override remove|replace|reset` on the composed minimal base, with apt's resolution
/// checking removals and a local apt repository holding other versions of a base package.
@Suite(.serialized) struct OverrideTests {
    @Test func removeReplaceAndResetBasePackagesThroughTheOrigin() throws {
        var lib = TestDeb("aot-lib")
        lib.files = ["/usr/share/aot-lib/marker": "lib\n"]
        let repo = try LocalAptRepo([lib, fakeCACertificates("20000101")])
        defer { repo.remove() }
        let localDir = FileManager.default.temporaryDirectory.appendingPathComponent("apt-ostree-override-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: localDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: localDir) }
        let localDeb = try fakeCACertificates("20990101").build(into: localDir)
        let libDeb = try lib.build(into: localDir)

        let s = try ComposedBase.sysroot(sources: repo.sourceLine)
        let base = try #require(try s.deployments().first?["checksum"] as? String)
        let baseVersion = try installed(s, ["ca-certificates"]).split(separator: " ").last.map { String($0.dropLast()) } ?? ""
        #expect(baseVersion.hasPrefix("2023"), "\(baseVersion)")
        #expect(FileManager.default.fileExists(atPath: try s.deploymentPath() + "/usr/share/ca-certificates"))

        // Bad input: one clear line, nothing changed.
        let before = try s.layeringFingerprint()
        for (args, message) in [
            (["override", "remove", "aot-nosuch"], "Package 'aot-nosuch' is not in the base"),
            (["override", "remove", "libdbus-1-3"], "would also remove base packages dbus"),
            (["override", "remove", "bash"], "Package 'bash' is essential in the base"),
            (["override", "remove", "Bad_Name"], "'Bad_Name' is not a Debian package name"),
            (["override", "replace", libDeb], "Package 'aot-lib' is not in the base; use 'apt-ostree install"),
            (["override", "replace", "ca-certificates=1.0"], "Cannot download ca-certificates=1.0"),
            (["override", "replace", "ca-certificates"], "is neither a .deb file nor NAME=VERSION"),
            (["override", "reset", "ca-certificates"], "No override for package 'ca-certificates'"),
            (["uninstall", "ca-certificates"], "use 'apt-ostree override remove ca-certificates'"),
        ] {
            let r = try s.direct(args)
            #expect(r.status == 1 && r.stderrLines.count == 1 && r.stderr.contains(message), "\(args): \(r.stdout)\(r.stderr)")
        }
        #expect(try s.layeringFingerprint() == before)

        // remove: dpkg purges it; the origin and the layer's metadata say so.
        let removed = try s.direct(["override", "remove", "ca-certificates"])
        #expect(removed.status == 0 && removed.stdout.contains("Purging configuration files for ca-certificates"), "\(removed.stdout)\(removed.stderr)")
        var d = try s.deploymentPath()
        #expect(try installed(s, ["ca-certificates"]).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: d + "/usr/share/ca-certificates"))
        #expect(read(d + "/usr/lib/sysimage/dpkg/status")?.contains("Package: ca-certificates\n") == false)
        var top = try #require(try s.deployments().first)
        #expect(top["base-checksum"] as? String == base && top["requested-base-removals"] as? [String] == ["ca-certificates"])
        #expect(top["base-removals"] as? [[String]] == [["ca-certificates", baseVersion, "all"]])
        #expect(read(try originPath(s))?.contains("[overrides]\nremove=ca-certificates;") == true)
        #expect(try s.direct(["status"]).stdout.contains("RemovedBasePackages: ca-certificates \(baseVersion)\n"))
        #expect(try s.direct(["db", "diff", "rollback", "booted"]).stdout.contains("Removed:\n  ca-certificates-\(baseVersion)"))
        // Asked again: the error names the override.
        let twice = try s.direct(["override", "remove", "ca-certificates"])
        #expect(twice.status == 1 && twice.stderr.contains("already removed by an override"), "\(twice.stderr)")

        // Layering on top keeps the removal.
        #expect(try s.direct(["install", "aot-lib"]).status == 0)
        d = try s.deploymentPath()
        #expect(try read(d + "/usr/share/aot-lib/marker") == "lib\n" && installed(s, ["ca-certificates"]).isEmpty)

        // reset: the base's package is back, the layered one stays.
        let reset = try s.direct(["override", "reset", "ca-certificates"])
        #expect(reset.status == 0, "\(reset.stdout)\(reset.stderr)")
        #expect(try installed(s, ["ca-certificates"]) == "ca-certificates \(baseVersion)\n")
        #expect(read(try s.deploymentPath() + "/usr/share/aot-lib/marker") == "lib\n")

        // replace NAME=VERSION: apt fetches that version (a downgrade here), kept like a local package.
        let pinned = try s.direct(["override", "replace", "ca-certificates=20000101"])
        #expect(pinned.status == 0 && pinned.stdout.contains("ca-certificates 20000101 (replacing the base's)"), "\(pinned.stdout)\(pinned.stderr)")
        #expect(try installed(s, ["ca-certificates"]) == "ca-certificates 20000101\n")
        top = try #require(try s.deployments().first)
        #expect(top["base-local-replacements"] as? [[[String]]] == [[["ca-certificates", "20000101", "all"], ["ca-certificates", baseVersion, "all"]]])
        #expect((top["requested-base-local-replacements"] as? [String])?.first?.hasSuffix(":ca-certificates") == true)
        #expect(try s.direct(["status"]).stdout.contains("LocalOverrides: ca-certificates \(baseVersion) -> 20000101\n"))
        let both = try s.direct(["override", "replace", localDeb])
        #expect(both.status == 1 && both.stderr.contains("already replaced by an override"), "\(both.stderr)")

        // reset --all, then a local .deb as the replacement.
        #expect(try s.direct(["override", "reset", "--all"]).status == 0)
        #expect(try installed(s, ["ca-certificates"]) == "ca-certificates \(baseVersion)\n")
        let local = try s.direct(["override", "replace", localDeb])
        #expect(local.status == 0, "\(local.stdout)\(local.stderr)")
        #expect(try installed(s, ["ca-certificates"]) == "ca-certificates 20990101\n")
        #expect(read(try s.deploymentPath() + "/usr/share/aot-fake-ca/version") == "20990101\n")
        // The file may go: the package is kept in the repo.
        try FileManager.default.removeItem(atPath: localDeb)
        let again = try s.direct(["override", "remove", "dbus"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(try installed(s, ["ca-certificates", "dbus"]) == "ca-certificates 20990101\n")
        // reset --overrides: the base's packages are back, the layered one stays; again: no changes.
        #expect(try s.direct(["reset", "--overrides"]).status == 0)
        #expect(try installed(s, ["ca-certificates"]) == "ca-certificates \(baseVersion)\n" && installed(s, ["dbus"]).hasPrefix("dbus "))
        #expect(read(try s.deploymentPath() + "/usr/share/aot-lib/marker") == "lib\n")
        let noop = try s.direct(["reset", "-o"])
        #expect(noop.status == 0 && noop.stdout.contains("No changes."), "\(noop.stdout)\(noop.stderr)")
        // reset (all mutations): the plain base.
        #expect(try s.direct(["reset"]).status == 0)
        top = try #require(try s.deployments().first)
        #expect(top["checksum"] as? String == base && (top["requested-base-removals"] as? [String])?.isEmpty == true)
    }
}

/// The default deployment's origin file.
private func originPath(_ s: TestSysroot) throws -> String {
    try s.deploymentPath() + ".origin"
}
