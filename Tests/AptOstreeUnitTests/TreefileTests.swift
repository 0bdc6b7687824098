import AptOstreeCore
import AptOstreeModel
import AptOstreePOSIX
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A new empty folder under /tmp with `files` (relative path -> text) written in it.
private func folder(_ files: [String: String]) throws -> String {
    var template = Array("/tmp/aot-treefile-XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else { throw AptOstreeError(.failed, "mkdtemp failed") }
    let dir = String(cString: p)
    for (name, text) in files {
        try FS.makeDirectories(FS.dirname(of: dir + "/" + name))
        try FS.writeFile(dir + "/" + name, text)
    }
    return dir
}

@Suite struct TreefileTests {
    @Test func parsesEveryKeyOfAFullManifest() throws {
        let tf = try TreefileLoader.parse("""
            ref: debian/bookworm/x86_64/server
            osname: mydeb
            suite: bookworm
            mirror: http://mirror.example/debian
            components: [main, contrib]
            variant: important
            architecture: amd64
            sources: ["deb http://deb.debian.org/debian bookworm-updates main"]
            packages: [openssh-server, htop]
            exclude-packages: [nano]
            kernel: true
            initramfs: dracut
            postprocess: ["echo hi > /usr/share/hi"]
            add-commit-metadata: {team: infra, build: 7, signed: false}
            units: [ssh.service]
            default-target: multi-user.target
            automatic-version-prefix: "12"
            kernel-args: [quiet]
            """, source: "m.yaml")
        #expect(tf.ref == "debian/bookworm/x86_64/server")
        #expect(tf.osname == "mydeb" && tf.variant == "important" && tf.components == ["main", "contrib"])
        #expect(tf.kernel && tf.initramfs == .dracut)
        #expect(tf.addCommitMetadata["build"] == .int(7) && tf.addCommitMetadata["signed"] == .bool(false))
        #expect(tf.automaticVersionPrefix == "12" && tf.kernelArgs == ["quiet"] && tf.units == ["ssh.service"])
        // A bootable tree gets the kernel, the chosen generator and libostree's boot pieces.
        #expect(tf.effectivePackages == ["openssh-server", "htop", "linux-image-amd64", "dracut", "ostree", "ostree-boot", "systemd-sysv"])
        // The canonical JSON is stable and round-trips.
        #expect(try Treefile(json: tf.json, source: "x") == tf)
    }

    @Test func defaultsMakeAMinbaseTreeWithoutKernel() throws {
        let tf = try TreefileLoader.parse("ref: a/b\nsuite: trixie\n", source: "m.yaml")
        #expect(tf.mirror == "http://deb.debian.org/debian" && tf.variant == "minbase" && tf.components == ["main"])
        #expect(!tf.kernel && tf.effectivePackages.isEmpty && tf.osname == "debian")
    }

    @Test(arguments: [
        ("ref: a/b\nsuite: bookworm\nfrobnicate: 1\n", "m.yaml: unknown key 'frobnicate'"),
        ("suite: bookworm\n", "m.yaml: missing required key 'ref'"),
        ("ref: a/b\nsuite: bookworm\npackages: htop\n", "m.yaml: 'packages' must be a list"),
        ("ref: a/b\nsuite: bookworm\nkernel: maybe\n", "m.yaml: 'kernel' must be true or false"),
        ("ref: a/b\nsuite: bookworm\npackages: [Bad_Name]\n", "m.yaml: 'Bad_Name' is not a Debian package name"),
        ("ref: a/b\nsuite: bookworm\nvariant: tiny\n", "m.yaml: 'variant' must be one of apt, buildd, custom, debootstrap, essential, extract, important, minbase, required, standard, not 'tiny'"),
        ("ref: /abs\nsuite: bookworm\n", "m.yaml: 'ref' is not a valid OSTree ref: '/abs'"),
        ("ref: a/b\nsuite: bookworm\nmirror: ftp://x\n", "m.yaml: 'mirror' must be an http://, https:// or file:/ URL, not 'ftp://x'"),
        ("ref: a/b\nsuite: bookworm\ninitramfs: mkinitcpio\n", "m.yaml: 'initramfs' must be initramfs-tools or dracut, not 'mkinitcpio'"),
        ("ref: a/b\nsuite: bookworm\npackages: [vim]\nexclude-packages: [vim]\n", "m.yaml: 'vim' is both in 'packages' and 'exclude-packages'"),
        ("ref: a/b\nsuite: bookworm\nsources: [\"http://x bookworm main\"]\n", "m.yaml: a 'sources' entry must be a one-line apt source ('deb URL SUITE COMPONENT...'): 'http://x bookworm main'"),
        ("- just\n- a list\n", "m.yaml: a manifest is a mapping of keys to values"),
        ("", "m.yaml: the manifest is empty"),
    ])
    func badManifestsGiveOneLineNamingTheProblem(text: String, message: String) {
        #expect { try TreefileLoader.parse(text, source: "m.yaml") } throws: { error in
            (error as? AptOstreeError)?.message == message && (error as? AptOstreeError)?.code == .invalidArgument
        }
    }

    @Test func includeMergesListsAndMetadataAndTheIncludingFileWins() throws {
        let dir = try folder([
            "base/minimal.yaml": """
                ref: debian/bookworm/x86_64/minimal
                suite: bookworm
                packages: [dbus, udev]
                postprocess-scripts: [scripts/base.sh]
                add-commit-metadata: {team: base, tier: 1}
                automatic-version-prefix: "12"
                """,
            "base/scripts/base.sh": "true\n",
            "pkgs/tool_1.0_all.deb": "not really a deb",
            "pkgs/tool-extra_1.0_all.deb": "neither",
            "host.yaml": """
                include: base/minimal.yaml
                ref: debian/bookworm/x86_64/host
                packages: [udev, htop]
                local-packages: [pkgs/tool*_all.deb]
                add-commit-metadata: {team: host}
                """,
        ])
        defer { try? FS.remove(dir) }
        let loaded = try TreefileLoader.load(dir + "/./host.yaml")
        let tf = loaded.treefile
        #expect(tf.ref == "debian/bookworm/x86_64/host" && tf.suite == "bookworm" && tf.automaticVersionPrefix == "12")
        #expect(tf.packages == ["dbus", "udev", "htop"])
        #expect(tf.addCommitMetadata == ["team": .string("host"), "tier": .int(1)])
        // Paths are relative to the file naming them; globs expand, sorted.
        #expect(tf.postprocessScripts == [dir + "/base/scripts/base.sh"] && loaded.scriptTexts == ["true\n"])
        #expect(tf.localPackages == [dir + "/pkgs/tool-extra_1.0_all.deb", dir + "/pkgs/tool_1.0_all.deb"])
        #expect(loaded.localPackageDigests.count == 2 && loaded.localPackageDigests.allSatisfy { $0.count == 64 })
    }

    @Test func badIncludesAndLocalPackagesNameTheFile() throws {
        let dir = try folder([
            "a.yaml": "include: b.yaml\nref: a/b\nsuite: bookworm\n",
            "b.yaml": "include: [a.yaml]\n",
            "missing.yaml": "include: nowhere.yaml\nref: a/b\nsuite: bookworm\n",
            "typo.yaml": "include: sub/typo-inner.yaml\nref: a/b\nsuite: bookworm\n",
            "sub/typo-inner.yaml": "pakages: [x]\n",
            "noglob.yaml": "ref: a/b\nsuite: bookworm\nlocal-packages: [debs/*.deb]\n",
            "nodeb.yaml": "ref: a/b\nsuite: bookworm\nlocal-packages: [tool.deb]\n",
            "notdeb.yaml": "ref: a/b\nsuite: bookworm\nlocal-packages: [tool.rpm]\n",
        ])
        defer { try? FS.remove(dir) }
        func message(_ name: String) -> String {
            do { _ = try TreefileLoader.load(dir + "/" + name); return "no error" } catch { return (error as? AptOstreeError)?.message ?? "\(error)" }
        }
        #expect(message("a.yaml") == "\(dir)/b.yaml: including \(dir)/a.yaml makes a cycle (a.yaml -> b.yaml -> a.yaml)")
        #expect(message("missing.yaml").hasPrefix("Reading manifest \(dir)/nowhere.yaml"))
        #expect(message("missing.yaml").hasSuffix("(included by \(dir)/missing.yaml)"))
        #expect(message("typo.yaml") == "\(dir)/sub/typo-inner.yaml: unknown key 'pakages'")
        #expect(message("noglob.yaml") == "\(dir)/noglob.yaml: local package \(dir)/debs/*.deb matches no file")
        #expect(message("nodeb.yaml") == "\(dir)/nodeb.yaml: local package \(dir)/tool.deb does not exist")
        #expect(message("notdeb.yaml") == "\(dir)/notdeb.yaml: a 'local-packages' entry must be the path of a .deb file (no commas): '\(dir)/tool.rpm'")
    }

    @Test func yamlSyntaxErrorsAreOneLine() {
        #expect { try TreefileLoader.parse("ref: [a\nsuite: x\n", source: "m.yaml") } throws: { error in
            let m = (error as? AptOstreeError)?.message ?? ""
            return m.hasPrefix("m.yaml: not valid YAML: ") && !m.contains("\n")
        }
        #expect { try TreefileLoader.parse("ref: a/b\nref: c/d\nsuite: x\n", source: "m.yaml") } throws: { error in
            let m = (error as? AptOstreeError)?.message ?? ""
            return m.hasPrefix("m.yaml: not valid YAML: ") && m.contains("duplicated key(s): 'ref'")
        }
    }

    @Test func automaticVersionsCountUpFromThePreviousCommit() {
        var tf = Treefile(ref: "a/b", suite: "bookworm")
        #expect(ComposeTree.version(treefile: tf, explicit: nil, previous: nil) == nil)
        tf.automaticVersionPrefix = "12"
        #expect(ComposeTree.version(treefile: tf, explicit: nil, previous: nil) == "12.0")
        #expect(ComposeTree.version(treefile: tf, explicit: nil, previous: "12.4") == "12.5")
        #expect(ComposeTree.version(treefile: tf, explicit: nil, previous: "11.9") == "12.0")
        #expect(ComposeTree.version(treefile: tf, explicit: "custom", previous: "12.4") == "custom")
        tf.version = "fixed"
        #expect(ComposeTree.version(treefile: tf, explicit: nil, previous: "12.4") == "fixed")
    }
}

@Suite struct Deb822Tests {
    @Test func parsesStanzasWithContinuationLinesAndComments() {
        let s = Deb822.parse("Package: a\nDescription: short\n long line\n .\n# comment\nVersion: 1\n\n\nPackage: b\r\nVersion: 2\r\n")
        #expect(s.count == 2)
        #expect(s[0]["Description"] == "short\nlong line\n." && s[0]["Version"] == "1")
        #expect(s[1]["Package"] == "b" && s[1]["Version"] == "2")
    }

    @Test func installedPackagesSkipsRemovedAndHalfInstalledOnesAndSorts() {
        let status = """
            Package: zsh
            Status: install ok installed
            Architecture: amd64
            Version: 5.9-4

            Package: gone
            Status: deinstall ok config-files
            Version: 1

            Package: adduser
            Status: install ok installed
            Architecture: all
            Version: 3.134

            Package: broken
            Status: install ok half-configured
            Version: 2
            """
        let p = Deb822.installedPackages(status: status)
        #expect(p.map(\.name) == ["adduser", "zsh"])
        #expect(p[1].version == "5.9-4" && p[1].architecture == "amd64")
    }
}
