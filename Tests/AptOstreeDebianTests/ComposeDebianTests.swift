import AptOstreeTestSupport
import Foundation
import OSTreeKit
import Testing

/// The debian tier: composes manifests/minimal.yaml from Debian's mirror (apt lists and .debs
/// cached under .cache/compose, which git ignores), deploys the commit into a temporary
/// sysroot, and checks the deployed tree with dpkg and systemd-tmpfiles.
@Suite(.serialized) struct ComposeDebianTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("apt-ostree-debian-\(UUID().uuidString.prefix(8))").path
    var repo: String { work + "/repo" }
    let cachedir = packageRoot.appendingPathComponent(".cache/compose").path
    let manifest = packageRoot.appendingPathComponent("manifests/minimal.yaml").path
    let ref = "debian/bookworm/x86_64/minimal"

    func compose(_ manifestPath: String, _ extra: [String] = []) throws -> ProcessResult {
        try run([aptOstreeBinary, "compose", "tree", manifestPath, "--repo=\(repo)", "--cachedir=\(cachedir)"] + extra)
    }

    func refs() throws -> String { try run(["ostree", "refs", "--repo=\(repo)"]).stdout }

    @Test func minimalManifestComposesDeploysAndRecomposesAsUnchanged() throws {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { _ = try? run(["sh", "-c", "chattr -i \"$1\"/sysroot/ostree/deploy/*/deploy/* 2>/dev/null; rm -rf \"$1\"", "sh", work]) }
        #expect(try run(["ostree", "init", "--repo=\(repo)", "--mode=archive"]).status == 0)

        let first = try compose(manifest)
        #expect(first.status == 0, "\(first.stderr)")
        for phase in ["[1/5] Resolving", "[2/5] Bootstrapping", "[3/5] Postprocessing", "[4/5] Transforming", "[5/5] Committing"] {
            #expect(first.stdout.contains(phase), "no progress line \(phase)")
        }
        let r = try Repo.open(path: repo)
        let checksum = try #require(try r.resolve(ref))
        let commit = try r.loadCommit(checksum)
        #expect(commit.version == "12.0")
        #expect(commit.metadataBool("ostree.bootable") == true)
        let packages = try #require(commit.metadataStringTriples("aptostree.dpkg.pkglist"))
        let names = Set(packages.map { $0[0] })
        for p in ["systemd", "systemd-sysv", "dpkg", "apt", "ostree-boot", "initramfs-tools", "linux-image-amd64", "ca-certificates"] {
            #expect(names.contains(p), "package list lacks \(p)")
        }
        #expect(commit.metadataString("aptostree.manifest")?.contains("\"ref\":\"\(ref)\"") == true)

        // --dry-run resolves with apt to exactly the set mmdebstrap installed, and builds nothing.
        let dry = try compose(manifest, ["--dry-run", "--force-nocache"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let simulated = Set(dry.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.contains("Get:") }
            .compactMap { $0.split(separator: " ").first.map(String.init) })
        #expect(simulated == names, "dry run differs: \(simulated.symmetricDifference(names).sorted())")
        #expect(try r.resolve(ref) == checksum)
        // The example server manifest resolves too, without its excluded package.
        let server = try compose(packageRoot.appendingPathComponent("manifests/server.yaml").path, ["--dry-run"])
        #expect(server.status == 0 && server.stdout.contains("  openssh-server ") && !server.stdout.contains("  rsyslog "), "\(server.stderr)")

        // The same manifest against the same archive: exit 77, no new commit.
        let again = try compose(manifest)
        #expect(again.status == 77, "\(again.stderr)")
        #expect(again.stdout.contains("No apparent changes since previous commit"))
        #expect(try r.resolve(ref) == checksum)

        // rpm-ostree's commit options: a forced new commit written to a file, not the ref.
        let idFile = work + "/commitid", touched = work + "/changed"
        let forced = try compose(manifest, ["--force-nocache", "--write-commitid-to=\(idFile)", "--add-metadata-string=build.id=42",
                                            "--touch-if-changed=\(touched)", "--parent=\(checksum)"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let newID = try String(contentsOfFile: idFile, encoding: .utf8)
        #expect(newID.count == 64 && newID != checksum)
        #expect(FileManager.default.fileExists(atPath: touched))
        #expect(try r.resolve(ref) == checksum, "--write-commitid-to must leave the ref alone")
        let newCommit = try r.loadCommit(newID)
        #expect(newCommit.parent == checksum && newCommit.metadataString("build.id") == "42" && newCommit.version == "12.1")

        // Bad input: one error line naming the problem, refs untouched.
        let before = try refs()
        let bad = work + "/bad.yaml"
        let cases: [(String, String)] = [
            (try String(contentsOfFile: manifest, encoding: .utf8) + "frobnicate: yes\n", "unknown key 'frobnicate'"),
            (try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(of: "  - dbus\n", with: "  - dbus\n  - no-such-package-aot\n"),
             "Package not found in bookworm (http://deb.debian.org/debian): no-such-package-aot"),
            ("ref: test/unreachable\nsuite: bookworm\nmirror: http://127.0.0.1:9/debian\n", "Could not connect to 127.0.0.1:9"),
        ]
        for (text, message) in cases {
            try text.write(toFile: bad, atomically: true, encoding: .utf8)
            let b = try compose(bad)
            #expect(b.status == 1)
            #expect(b.stderrLines.count == 1 && b.stderr.hasPrefix("error: ") && b.stderr.contains(message), "\(b.stderr)")
        }
        #expect(try refs() == before)

        // Deploy into a sysroot in a folder (compose image --format=sysroot, libostree), then
        // read the tree with ostree admin and dpkg as oracles.
        let sysroot = work + "/sysroot"
        let made = try run([aptOstreeBinary, "compose", "image", ref, sysroot, "--format=sysroot", "--repo=\(repo)"])
        #expect(made.status == 0, "\(made.stderr)")
        let admin = try run(["ostree", "admin", "status", "--sysroot=\(sysroot)"])
        #expect(admin.status == 0 && admin.stdout.contains("debian \(checksum).0") && admin.stdout.contains("Version: 12.0"), "\(admin.stdout)\(admin.stderr)")
        #expect(try String(contentsOfFile: sysroot + "/ostree/deploy/debian/deploy/\(checksum).0.origin", encoding: .utf8).contains("refspec=\(ref)"))
        let deployments = try FileManager.default.contentsOfDirectory(atPath: sysroot + "/ostree/deploy/debian/deploy").filter { !$0.hasSuffix(".origin") }
        let deploy = sysroot + "/ostree/deploy/debian/deploy/" + (try #require(deployments.first))
        let admindir = deploy + "/usr/lib/sysimage/dpkg"
        let listed = try run(["dpkg-query", "--admindir=\(admindir)", "-W", "-f", "${Package} ${db:Status-Abbrev}\n"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let installed = listed.stdout.split(separator: "\n").filter { $0.hasSuffix(" ii ") }.map { String($0.split(separator: " ")[0]) }
        #expect(Set(installed) == names)
        #expect(try run(["dpkg", "-l", "--admindir=\(admindir)", "systemd"]).stdout.contains("ii  systemd"))

        // Every /var folder a package shipped comes back from the tmpfiles lines: after
        // systemd-tmpfiles --create on the empty /var, each /var path in dpkg's file lists
        // exists, or is a regular file of its package (listed in its md5sums: state, dropped).
        let tmp = try run(["systemd-tmpfiles", "--create", "--root=\(deploy)", "--prefix=/var"])
        #expect(tmp.status == 0 || tmp.status == 65 || tmp.status == 73, "\(tmp.stderr)")
        var missing: [String] = []
        let info = admindir + "/info"
        for list in try FileManager.default.contentsOfDirectory(atPath: info) where list.hasSuffix(".list") {
            let md5 = (try? String(contentsOfFile: info + "/" + list.dropLast(5) + ".md5sums", encoding: .utf8)) ?? ""
            let files = Set(md5.split(separator: "\n").compactMap { $0.split(separator: " ", omittingEmptySubsequences: true).last.map { "/" + $0 } })
            for path in try String(contentsOfFile: info + "/" + list, encoding: .utf8).split(separator: "\n").map(String.init)
            where path.hasPrefix("/var/") && !files.contains(path) {
                // Package-manager state lives under /usr/lib/sysimage, linked from /var at boot.
                var real = path
                for (old, new) in [("/var/lib/dpkg", "/usr/lib/sysimage/dpkg"), ("/var/cache/debconf", "/usr/lib/sysimage/debconf"),
                                   ("/var/lib/ucf", "/usr/lib/sysimage/ucf"), ("/var/lib/pam", "/usr/lib/sysimage/pam"),
                                   ("/var/lib/systemd/deb-systemd-helper-enabled", "/usr/lib/sysimage/deb-systemd-helper-enabled"),
                                   ("/var/lib/systemd/deb-systemd-helper-masked", "/usr/lib/sysimage/deb-systemd-helper-masked")]
                where path.hasPrefix(old + "/") {
                    real = new + path.dropFirst(old.count)
                }
                var st = stat()
                if lstat(deploy + real, &st) != 0 { missing.append(path) }
            }
        }
        #expect(missing.isEmpty, "not recreated: \(missing.sorted().prefix(20))")

        // apt-ostree reads the deployment like any other.
        let status = try run([aptOstreeBinary, "status", "--json", "--sysroot=\(sysroot)"], environment: ["DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("\"version\" : \"12.0\"") && status.stdout.contains("\"checksum\" : \"\(checksum)\""))
    }
}
