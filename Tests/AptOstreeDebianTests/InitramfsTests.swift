import AptOstreeTestSupport
import Foundation
import Testing

/// Lists a cpio initramfs (newc; gzip-compressed or plain, archives concatenated) as
/// "NAME" lines, with " = CONTENT" for regular files of a few bytes.
private let cpioLister = #"""
    import sys, gzip
    def entries(data):
        i = 0
        while i + 110 <= len(data):
            if data[i:i+6] != b'070701':
                if data[i] == 0: i += 1; continue
                yield from entries(gzip.decompress(data[i:])); return
            f = [int(data[i+6+8*k:i+14+8*k], 16) for k in range(13)]
            size, namesize = f[6], f[11]
            name = data[i+110:i+110+namesize-1].decode()
            i = (i + 110 + namesize + 3) & ~3
            body = data[i:i+size]; i = (i + size + 3) & ~3
            if name != 'TRAILER!!!': yield name, f[1], body
    data = open(sys.argv[1], 'rb').read()
    print('gzip' if data[:2] == b'\x1f\x8b' else 'plain')
    if data[:2] == b'\x1f\x8b': data = gzip.decompress(data)
    for name, mode, body in entries(data):
        print(name + (' = ' + body.decode(errors='replace').strip() if mode & 0o170000 == 0o100000 and len(body) < 64 else ''))
    """#

/// The `initrd` lines of the default deployment's boot entry (the one with the highest version).
private func defaultInitrds(_ s: TestSysroot) throws -> [String] {
    let entries = try FileManager.default.contentsOfDirectory(atPath: s.path + "/boot/loader/entries").filter { $0.hasSuffix(".conf") }
    var best: (Int, [String]) = (-1, [])
    for name in entries {
        let text = try String(contentsOfFile: s.path + "/boot/loader/entries/" + name, encoding: .utf8)
        let lines = text.split(separator: "\n")
        let version = lines.first { $0.hasPrefix("version ") }.flatMap { Int($0.dropFirst(8)) } ?? 0
        if version > best.0 { best = (version, lines.filter { $0.hasPrefix("initrd ") }.map { String($0.dropFirst(7)) }) }
    }
    return best.1
}

/// The listing of a boot-partition file (an `initrd` path from an entry).
private func cpioListing(_ s: TestSysroot, _ bootPath: String) throws -> [String] {
    let r = try run(["python3", "-c", cpioLister, s.path + "/boot" + bootPath])
    guard r.status == 0 else { throw TestFailure("listing \(bootPath): \(r.stderr)") }
    return r.stdout.split(separator: "\n").map(String.init)
}

/// `initramfs` (client-side regeneration) and `initramfs-etc` (overlay initrds) on the
/// composed minimal base.
@Suite(.serialized) struct InitramfsTests {
    @Test func enableRegeneratesWithTheMachinesEtcAndArgsDisableGoesBack() throws {
        let s = try ComposedBase.sysroot(sources: "")
        let base = try #require(try s.deployments().first?["checksum"] as? String)
        #expect(try s.direct(["initramfs"]).stdout == "Initramfs regeneration: disabled\n")
        let already = try s.direct(["initramfs", "--disable"])
        #expect(already.status == 1 && already.stderr == "error: initramfs regeneration state is already disabled\n", "\(already.stderr)")
        let bad = try s.direct(["initramfs", "--disable", "--arg=-v"])
        #expect(bad.status != 0 && bad.stderr.contains("--disable and --arg"), "\(bad.stderr)")

        // A hook in the machine's /etc: only a generator reading that /etc runs it.
        let hooks = try s.deploymentPath() + "/etc/initramfs-tools/hooks"
        try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
        try "#!/bin/sh\n[ \"$1\" = prereqs ] && exit 0\nmkdir -p \"$DESTDIR/etc\"\necho from-etc-hook > \"$DESTDIR/etc/aot-marker\"\n"
            .write(toFile: hooks + "/aot", atomically: true, encoding: .utf8)
        _ = try run(["chmod", "755", hooks + "/aot"])
        let enable = try s.direct(["initramfs", "--enable", "--arg=-c", "--arg=gzip"])
        #expect(enable.status == 0 && enable.stdout.contains("Generating the initramfs for ")
                && enable.stdout.hasSuffix("Initramfs regeneration is now: enabled\n"), "\(enable.stdout)\(enable.stderr)")
        let top = try #require(try s.deployments().first)
        #expect(top["regenerate-initramfs"] as? Bool == true && top["initramfs-args"] as? [String] == ["-c", "gzip"])
        #expect(top["base-checksum"] as? String == base)
        let initrds = try defaultInitrds(s)
        try #require(initrds.count == 1)
        let listing = try cpioListing(s, initrds[0])
        #expect(listing.first == "gzip" && listing.contains("etc/aot-marker = from-etc-hook"), "\(listing.prefix(5))")
        #expect(listing.contains("usr/lib/ostree/ostree-prepare-root"))
        #expect(try s.direct(["initramfs"]).stdout == "Initramfs regeneration: enabled\nInitramfs args: -c gzip\n")
        #expect(try s.direct(["status"]).stdout.contains("Initramfs: regenerate: -c gzip\n"))
        // An edit in /etc reaches the initramfs with --force (the arguments stay).
        try "#!/bin/sh\n[ \"$1\" = prereqs ] && exit 0\nmkdir -p \"$DESTDIR/etc\"\necho edited > \"$DESTDIR/etc/aot-marker\"\n"
            .write(toFile: try s.deploymentPath() + "/etc/initramfs-tools/hooks/aot", atomically: true, encoding: .utf8)
        _ = try run(["chmod", "755", try s.deploymentPath() + "/etc/initramfs-tools/hooks/aot"])
        let forced = try s.direct(["initramfs", "--enable", "--force"])
        #expect(forced.status == 0, "\(forced.stdout)\(forced.stderr)")
        let again = try cpioListing(s, try defaultInitrds(s)[0])
        #expect(again.first == "gzip" && again.contains("etc/aot-marker = edited"), "\(again.prefix(5))")
        #expect(try s.direct(["initramfs", "--force"]).status == 64)
        // Tracking /etc files on top is refused: the regenerated initramfs reads /etc already.
        let track = try s.direct(["initramfs-etc", "--track=/etc/hostname"])
        #expect(track.status == 1 && track.stderr.contains("not compatible"), "\(track.stderr)")

        // --disable: the base's own initramfs again.
        let disable = try s.direct(["initramfs", "--disable"])
        #expect(disable.status == 0 && disable.stdout.hasSuffix("Initramfs regeneration is now: disabled\n"), "\(disable.stderr)")
        let after = try #require(try s.deployments().first)
        #expect(after["checksum"] as? String == base && after["regenerate-initramfs"] as? Bool == false)
        #expect(try defaultInitrds(s) != initrds)
    }

    @Test func trackedEtcFilesTravelInAnOverlayInitrdAndFollowEachDeployment() throws {
        let s = try ComposedBase.sysroot(sources: "")
        #expect(try s.direct(["initramfs-etc"]).stdout == "No tracked files.\n")
        let before = try s.layeringFingerprint()
        for (path, message) in [("/tmp/x", "'/tmp/x' is not a path under /etc"), ("/etc/../root/x", "is not a path under /etc"),
                                ("etc/crypttab", "is not a path under /etc"), ("/etc/aot-nosuch", "/etc/aot-nosuch: no such file")] {
            let r = try s.direct(["initramfs-etc", "--track=\(path)"])
            #expect(r.status == 1 && r.stderrLines.count == 1 && r.stderr.contains(message), "\(path): \(r.stderr)")
        }
        #expect(try s.layeringFingerprint() == before)

        try "aot-crypt UUID=1 none\n".write(toFile: try s.deploymentPath() + "/etc/crypttab", atomically: true, encoding: .utf8)
        let track = try s.direct(["initramfs-etc", "--track=/etc/crypttab"])
        #expect(track.status == 0, "\(track.stdout)\(track.stderr)")
        var initrds = try defaultInitrds(s)
        try #require(initrds.count == 2, "\(initrds)")
        #expect(initrds[1].hasPrefix("/ostree/initramfs-overlays/"))
        #expect(try cpioListing(s, initrds[1]) == ["plain", "etc", "etc/crypttab = aot-crypt UUID=1 none"])
        #expect(try s.deployments().first?["initramfs-etc"] as? [String] == ["/etc/crypttab"])
        #expect(try s.direct(["initramfs-etc"]).stdout == "Tracked files:\n  /etc/crypttab\n")
        #expect(try s.direct(["initramfs", "--enable"]).stderr.contains("not compatible"))

        // The file changes: --force-sync takes it; so does any later deployment (kargs here).
        try "aot-crypt UUID=2 none\n".write(toFile: try s.deploymentPath() + "/etc/crypttab", atomically: true, encoding: .utf8)
        #expect(try s.direct(["initramfs-etc", "--force-sync"]).status == 0)
        initrds = try defaultInitrds(s)
        #expect(try cpioListing(s, initrds[1]).last == "etc/crypttab = aot-crypt UUID=2 none")
        try "aot-crypt UUID=3 none\n".write(toFile: try s.deploymentPath() + "/etc/crypttab", atomically: true, encoding: .utf8)
        #expect(try s.direct(["kargs", "--append=aot.test=1"]).status == 0)
        initrds = try defaultInitrds(s)
        #expect(try cpioListing(s, initrds[1]).last == "etc/crypttab = aot-crypt UUID=3 none")

        // Untracking: one initrd again; nothing left to untrack is no change.
        #expect(try s.direct(["initramfs-etc", "--untrack=/etc/crypttab"]).status == 0)
        #expect(try defaultInitrds(s).count == 1)
        let none = try s.direct(["initramfs-etc", "--untrack-all"])
        #expect(none.status == 0 && none.stdout.contains("No changes."), "\(none.stdout)")
    }
}
