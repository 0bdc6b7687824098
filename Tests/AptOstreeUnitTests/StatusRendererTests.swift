import AptOstreeCLI
import AptOstreeModel
import Testing

@Suite struct StatusRendererTests {
    func deployment(_ csum: String, version: String?, booted: Bool, serial: Int = 0) -> DeploymentStatus {
        var d = DeploymentStatus(id: "debian-\(csum).\(serial)", osname: "debian", serial: serial, checksum: csum,
                                 version: version, timestamp: 1767441600, origin: "debian/bookworm/x86_64",
                                 booted: booted, staged: false, pinned: false, unlocked: "none",
                                 request: Origin(refspec: "debian/bookworm/x86_64"))
        d.kernelArgs = ["root=LABEL=r", "quiet"]
        return d
    }

    @Test func rendersRpmOstreeLayout() {
        let s = HostStatus(deployments: [deployment("aaa", version: "1.1", booted: true),
                                         deployment("bbb", version: nil, booted: false)])
        #expect(StatusRenderer.render(s, verbose: false, onlyBooted: false, glyphs: .unicode) == """
            State: idle
            AutomaticUpdates: disabled
            Deployments:
            ● debian/bookworm/x86_64
                              Version: 1.1 (2026-01-03T12:00:00Z)
                               Commit: aaa

              debian/bookworm/x86_64
                            Timestamp: 2026-01-03T12:00:00Z
                               Commit: bbb

            """)
    }

    @Test func asciiMarkerVerboseFieldsAndFlags() {
        var d = deployment("aaa", version: "1.1", booted: true)
        d.pinned = true
        d.unlocked = "transient"
        d.baseChecksum = "base"
        d.baseVersion = "1.0"
        d.baseTimestamp = 0
        d.packages = ["vim", "htop"]
        let text = StatusRenderer.render(HostStatus(deployments: [d]), verbose: true, onlyBooted: true, glyphs: .ascii)
        #expect(text.contains("BootedDeployment:\n* debian/bookworm/x86_64 (index: 0)\n"))
        #expect(text.contains("                  Version: 1.0 (1970-01-01T00:00:00Z)\n"))
        #expect(text.contains("               BaseCommit: base\n"))
        #expect(text.contains("                   Commit: aaa\n"))
        #expect(text.contains("          LayeredPackages: htop vim\n"))
        #expect(text.contains("                StateRoot: debian\n"))
        #expect(text.contains("                   Pinned: yes\n"))
        #expect(text.contains("                 Unlocked: transient\n"))
        #expect(text.contains("               KernelArgs: root=LABEL=r quiet\n"))
    }

    @Test func jsonHasRpmOstreeTopLevelAndLayeredFields() throws {
        var d = deployment("aaa", version: "1.1", booted: true)
        d.baseChecksum = "base"
        let j = HostStatus(deployments: [d, deployment("bbb", version: "1.0", booted: false)]).json()
        #expect(j["transaction"] == .null)
        #expect(j["cached-update"] == .null)
        #expect(j["update-driver"] == .null)
        let first = try #require(j["deployments"]?[0])
        for key in ["id", "osname", "serial", "checksum", "version", "timestamp", "origin", "booted", "staged",
                    "pinned", "unlocked", "requested-packages", "packages", "base-removals",
                    "requested-base-removals", "base-local-replacements", "initramfs-args",
                    "regenerate-initramfs", "kernel-args", "base-checksum", "base-version", "base-timestamp"] {
            #expect(first[key] != nil, "missing \(key)")
        }
        #expect(j["deployments"]?[1]?["base-checksum"] == nil)
        #expect(HostStatus(deployments: [d, deployment("bbb", version: "1.0", booted: false)])
            .json(onlyBooted: true)["deployments"]?.arrayValue?.count == 1)
    }
}

@Suite struct ProgressBarTests {
    @Test func rendersClampedBars() {
        #expect(ProgressBar.render("Pulling", percent: 45, width: 20) == "Pulling [#########           ] 45%")
        #expect(ProgressBar.render("x", percent: 150, width: 4) == "x [####] 100%")
        #expect(ProgressBar.render("x", percent: -3, width: 4) == "x [    ] 0%")
    }
}
