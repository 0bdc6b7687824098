import AptOstreeTestSupport
import Foundation
import Testing

/// The package: scripts/build-deb.sh builds apt-ostree's .deb (release binaries), and
/// scripts/test-deb.sh installs it with `apt-get install ./FILE.deb` into a fresh Debian 12
/// minbase from the mirror, then checks files, units, both programs and D-Bus activation.
@Suite(.serialized) struct PackageTests {
    @Test func debInstallsOnPlainDebianAndTheDaemonIsActivatable() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("apt-ostree-deb-\(UUID().uuidString.prefix(8))").path
        defer { _ = try? run(["rm", "-rf", out]) }
        let build = try run([packageRoot.appendingPathComponent("scripts/build-deb.sh").path, out + "/out"])
        #expect(build.status == 0, "\(build.stderr.suffix(2000))")
        let deb = build.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(deb.hasSuffix(".deb"))
        let info = try run(["dpkg-deb", "--field", deb, "Package", "Depends"])
        #expect(info.stdout.contains("Package: apt-ostree"))
        for dep in ["libostree-1-1", "bubblewrap", "polkitd", "dbus"] { #expect(info.stdout.contains(dep), "Depends lacks \(dep)") }
        let contents = try run(["dpkg-deb", "--contents", deb]).stdout
        #expect(!contents.contains("etc/systemd/system"), "the package must not ship enablement links")
        #expect(try run(["dpkg-deb", "--info", deb, "conffiles"]).stdout.contains("/etc/apt-ostree/apt-ostreed.conf"))

        let r = try run([packageRoot.appendingPathComponent("scripts/test-deb.sh").path, deb, out + "/root"])
        #expect(r.status == 0, "\(r.stdout.suffix(2000)) \(r.stderr.suffix(2000))")
        for line in ["installed: apt-ostree 0.1.0 install ok installed", "files: all in place", "systemd-analyze verify: clean",
                     "apt-ostree --version: 0.1.0", "apt-ostreed --version: apt-ostreed 0.1.0", "package test: passed"] {
            #expect(r.stdout.contains(line), "no line '\(line)'")
        }
        // Enabled by postinst: the boot status log and the (policy-driven) automatic timer; countme is opt-in.
        #expect(r.stdout.contains("enabled: apt-ostree-bootstatus.service apt-ostreed-automatic.timer"))
        #expect(!r.stdout.contains("apt-ostree-countme.timer"))
        #expect(r.stdout.contains("activated: Sysroot.Path =   variant       /"))
        #expect(r.stdout.contains("AutomaticUpdatePolicy =   variant       none"))
        _ = try? run(["sh", "-c", "umount -R \"$1\"/root/proc 2>/dev/null; true", "sh", out])
    }
}
