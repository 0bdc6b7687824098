import AptOstreeTestSupport
import Foundation
import Testing

@Suite struct InstallTests {
    @Test func installedClientFindsTheInstalledEngineAndEveryFileIsInPlace() throws {
        let dest = FileManager.default.temporaryDirectory.appendingPathComponent("apt-ostree-install-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dest) }
        let bin = URL(fileURLWithPath: aptOstreeBinary).deletingLastPathComponent().path
        let r = try run([packageRoot.appendingPathComponent("scripts/install.sh").path, dest], environment: ["BIN_DIR": bin])
        #expect(r.status == 0, "\(r.stderr)")
        for f in ["usr/bin/apt-ostree", "usr/libexec/apt-ostreed", "usr/share/dbus-1/system.d/org.debian.aptostree1.conf",
                  "usr/share/dbus-1/system-services/org.debian.aptostree1.service",
                  "usr/share/dbus-1/interfaces/org.debian.aptostree1.xml",
                  "usr/share/polkit-1/actions/org.debian.aptostree1.policy", "lib/systemd/system/apt-ostreed.service",
                  "etc/apt-ostree/apt-ostreed.conf", "usr/share/apt-ostree/initramfs-tools/hooks/apt-ostree",
                  "usr/share/apt-ostree/initramfs-tools/scripts/local-bottom/apt-ostree",
                  "usr/share/apt-ostree/manifests/minimal.yaml"] {
            #expect(FileManager.default.fileExists(atPath: "\(dest)/\(f)"), "missing \(f)")
        }
        // The activation file starts the daemon where the package puts it.
        let service = try String(contentsOfFile: "\(dest)/usr/share/dbus-1/system-services/org.debian.aptostree1.service", encoding: .utf8)
        #expect(service.contains("Exec=/usr/libexec/apt-ostreed"))
        // With no daemon, the installed client runs the installed engine (../libexec).
        let s = try TestSysroot(versions: ["1.0"])
        let status = try run(["\(dest)/usr/bin/apt-ostree", "status", "--json", "-v", "--sysroot=\(s.path)"],
                             environment: ["DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("\"version\" : \"1.0\""))
        #expect(status.stderr.contains("running the engine in-process"))
        // The installed engine finds compose's data where the package puts it (../share/apt-ostree).
        let bad = dest + "/bad.yaml"
        try "ref: a/b\nsuite: bookworm\nmirror: http://127.0.0.1:9/debian\n".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(try run(["ostree", "init", "--repo=\(dest)/repo", "--mode=archive"]).status == 0)
        let compose = try run(["\(dest)/usr/bin/apt-ostree", "compose", "tree", bad, "--repo=\(dest)/repo"])
        #expect(compose.status == 1 && compose.stderr.contains("Could not connect to 127.0.0.1:9"), "\(compose.stderr)")
        // A second install keeps an edited config.
        try "[Daemon]\nIdleExitTimeout=5\n".write(toFile: "\(dest)/etc/apt-ostree/apt-ostreed.conf", atomically: true, encoding: .utf8)
        #expect(try run([packageRoot.appendingPathComponent("scripts/install.sh").path, dest], environment: ["BIN_DIR": bin]).status == 0)
        #expect(try String(contentsOfFile: "\(dest)/etc/apt-ostree/apt-ostreed.conf", encoding: .utf8).contains("IdleExitTimeout=5"))
    }
}
