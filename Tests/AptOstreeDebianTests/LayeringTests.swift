import AptOstreeTestSupport
import Foundation
import Testing

/// Tiny packages for layering: a dependency chain, a conffile, a postinst that adds a system
/// user, owns a /var folder, registers an alternative and enables a unit, a trigger (ldconfig),
/// a failing postinst and a conflict.
private func testPackages() -> [TestDeb] {
    var lib = TestDeb("aot-lib")
    lib.files = ["/usr/lib/x86_64-linux-gnu/libaot.so.1": "not really a library\n"]
    lib.triggers = "activate-noawait ldconfig\n"
    var hello = TestDeb("aot-hello")
    hello.depends = "aot-lib (>= 1.0)"
    hello.files = [
        "/usr/bin/aot-hello": "#!/bin/sh\necho hello from aot\n",
        "/etc/aot-hello.conf": "greeting=hello\n",
        "/usr/lib/systemd/system/aot-hello.service": "[Unit]\nDescription=aot\n[Service]\nExecStart=/usr/bin/aot-hello\n[Install]\nWantedBy=multi-user.target\n",
        "/var/lib/aot-hello/": "",
    ]
    hello.conffiles = ["/etc/aot-hello.conf"]
    hello.postinst = """
        if [ "$1" = configure ]; then
            getent passwd aot-svc >/dev/null || adduser --system --group --no-create-home --home /var/lib/aot-hello aot-svc
            chown aot-svc:aot-svc /var/lib/aot-hello
            chmod 0750 /var/lib/aot-hello
            mkdir -p /var/cache/aot-hello && echo state > /var/cache/aot-hello/state
            update-alternatives --install /usr/bin/aot-greet aot-greet /usr/bin/aot-hello 50
            deb-systemd-helper enable aot-hello.service
        fi
        """
    var fail = TestDeb("aot-fail")
    fail.files = ["/usr/share/aot-fail/marker": "x\n"]
    fail.postinst = "echo failing on purpose >&2\nexit 1"
    var conflict = TestDeb("aot-conflict")
    conflict.conflicts = "aot-hello"
    conflict.files = ["/usr/share/aot-conflict/marker": "x\n"]
    var slow = TestDeb("aot-slow")
    slow.files = ["/usr/share/aot-slow/marker": "x\n"]
    slow.postinst = "sleep 3"
    return [lib, hello, fail, conflict, slow]
}

private func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
private func link(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }

/// Layering onto the composed minimal base, against a local apt repository of tiny .debs.
@Suite(.serialized) struct LayeringTests {
    @Test func installLayersPackagesWithScriptsUsersUnitsAlternativesAndVar() throws {
        let repo = try LocalAptRepo(testPackages())
        defer { repo.remove() }
        let s = try ComposedBase.sysroot(sources: repo.sourceLine)
        let base = try #require(try s.deployments().first?["checksum"] as? String)

        let r = try s.direct(["install", "aot-hello"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("Resolved 1 requested package to 2 to install"))
        let list = try s.deployments()
        try #require(list.count == 2)
        let layered = try #require(list.first)
        #expect(layered["requested-packages"] as? [String] == ["aot-hello"])
        #expect(layered["packages"] as? [String] == ["aot-hello"])
        #expect(layered["base-checksum"] as? String == base)
        #expect(list[1]["checksum"] as? String == base)
        // The rollback deployment's package changes against the booted (default) one.
        #expect(list[1]["package-diff"] as? String == "2 removed" && layered["package-diff"] == nil)
        #expect(try s.direct(["status", "-v"]).stdout.contains("Diff: 2 removed"))
        let d = try s.deploymentPath()
        #expect(read(d + "/usr/bin/aot-hello") == "#!/bin/sh\necho hello from aot\n")
        #expect(read(d + "/usr/lib/x86_64-linux-gnu/libaot.so.1") != nil)
        let admindir = d + "/usr/lib/sysimage/dpkg"
        let q = try run(["dpkg-query", "--admindir=\(admindir)", "-W", "-f", "${Package} ${db:Status-Abbrev}\n", "aot-hello", "aot-lib", "libc-bin"])
        #expect(q.stdout == "aot-hello ii \naot-lib ii \nlibc-bin ii \n", "\(q.stdout)\(q.stderr)")
        // The trigger ran: nothing is left pending.
        #expect(!(read(admindir + "/status") ?? "").contains("triggers-pending"))
        // The conffile is image content under /usr/etc, and reached the deployment's /etc.
        #expect(read(d + "/usr/etc/aot-hello.conf") == "greeting=hello\n" && read(d + "/etc/aot-hello.conf") == "greeting=hello\n")
        // The system user, as image content and as a sysusers.d line for edited machines.
        #expect(read(d + "/usr/etc/passwd")?.contains("aot-svc:x:") == true)
        #expect(read(d + "/usr/lib/sysusers.d/apt-ostree-layer.conf")?.contains("u aot-svc ") == true)
        // The unit enabled, the alternative registered.
        #expect(link(d + "/usr/etc/systemd/system/multi-user.target.wants/aot-hello.service") == "/lib/systemd/system/aot-hello.service")
        #expect(link(d + "/usr/etc/alternatives/aot-greet") == "/usr/bin/aot-hello")
        #expect(link(d + "/usr/bin/aot-greet") == "/etc/alternatives/aot-greet")
        // /var content became tmpfiles.d lines (owner and mode from the scripts); state files went.
        let tmpfiles = read(d + "/usr/lib/tmpfiles.d/apt-ostree-layer.conf") ?? ""
        #expect(tmpfiles.contains("d /var/lib/aot-hello 750 aot-svc aot-svc -\n"), "\(tmpfiles)")
        #expect(tmpfiles.contains("d /var/cache/aot-hello 755 root root -\n") && !tmpfiles.contains("state"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: d + "/var").isEmpty)
        // No sandbox or overlay leftovers in the commit.
        #expect(!FileManager.default.fileExists(atPath: d + "/usr/sbin/policy-rc.d"))
        #expect(!FileManager.default.fileExists(atPath: admindir + "/lock") && !FileManager.default.fileExists(atPath: d + "/etc/.pwd.lock"))
        let xattrs = try run(["python3", "-c", """
            import os, sys
            for top, dirs, files in os.walk(sys.argv[1]):
                for n in dirs + files:
                    p = os.path.join(top, n)
                    if any(a.startswith('trusted.overlay.') for a in os.listxattr(p, follow_symlinks=False)): print(p)
            """, d + "/usr"])
        #expect(xattrs.status == 0 && xattrs.stdout.isEmpty, "\(xattrs.stdout)")
        // The origin keeps the request for every later deployment.
        let origin = try String(contentsOfFile: d + ".origin", encoding: .utf8)
        #expect(origin.contains("baserefspec=\(ComposedBase.ref)") && origin.contains("requested=aot-hello;"))
    }

    @Test func uninstallReturnsToTheBaseAndTheSameRequestReusesItsLayer() throws {
        let repo = try LocalAptRepo(testPackages())
        defer { repo.remove() }
        let s = try ComposedBase.sysroot(sources: repo.sourceLine)
        let base = try #require(try s.deployments().first?["checksum"] as? String)
        #expect(try s.direct(["install", "aot-hello"]).status == 0)
        let layered = try #require(try s.deployments().first?["checksum"] as? String)
        #expect(layered != base)

        // kargs re-deploys the same layered commit: no dpkg run.
        let k = try s.direct(["kargs", "--append=aot.test=1"])
        #expect(k.status == 0 && !k.stdout.contains("Running dpkg"), "\(k.stdout)\(k.stderr)")
        #expect(try s.deployments().first?["checksum"] as? String == layered)

        let u = try s.direct(["uninstall", "aot-hello"])
        #expect(u.status == 0, "\(u.stderr)")
        let after = try s.deployments()
        #expect(after.first?["checksum"] as? String == base)
        #expect((after.first?["requested-packages"] as? [String])?.isEmpty == true)
        #expect(try String(contentsOfFile: try s.deploymentPath() + ".origin", encoding: .utf8).contains("refspec=\(ComposedBase.ref)"))
        #expect((after.first?["kernel-args"] as? [String])?.contains("aot.test=1") == true)

        let again = try s.direct(["install", "aot-hello"])
        #expect(again.status == 0 && again.stdout.contains("Reusing layer") && !again.stdout.contains("Running dpkg"), "\(again.stdout)")
        #expect(try s.deployments().first?["checksum"] as? String == layered)

        // history: every deployment made, newest first, with the command that made it.
        let h = try s.direct(["history", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(h.stdout.utf8)) as? [[String: Any]], "\(h.stdout)\(h.stderr)")
        let commands = entries.compactMap { $0["command"] as? String }
        #expect(commands.count == 4, "\(commands)")
        #expect(commands.first?.hasPrefix("apt-ostree install aot-hello") == true && commands.dropFirst().first?.hasPrefix("apt-ostree uninstall aot-hello") == true)
        #expect(commands.dropFirst(2).first?.hasPrefix("apt-ostree kargs --append=aot.test=1") == true)
        #expect(entries.first?["checksum"] as? String == layered)
        let text = try s.direct(["history", "-n", "1"])
        #expect(text.status == 0 && text.stdout.contains("apt-ostree install aot-hello") && !text.stdout.contains("uninstall"))
    }

    @Test func badRequestsFailWithOneLineAndLeaveTheSysrootAsItWas() throws {
        let repo = try LocalAptRepo(testPackages())
        defer { repo.remove() }
        let s = try ComposedBase.sysroot(sources: repo.sourceLine)
        #expect(try s.direct(["install", "aot-lib"]).status == 0)
        let before = try s.layeringFingerprint()
        let cases: [([String], String)] = [
            (["install", "no-such-package-aot"], "Packages not found: no-such-package-aot"),
            (["install", "aot-hello", "aot-conflict"], "apt cannot install"),
            (["install", "aot-fail"], "aot-fail"),
            (["install", "aot-lib"], "Package 'aot-lib' is already requested"),
            (["install", "systemd"], "Package 'systemd' is already in the base; use --allow-inactive"),
            (["uninstall", "systemd"], "use 'apt-ostree override remove systemd'"),
            (["uninstall", "aot-hello"], "Package 'aot-hello' is not layered"),
            (["install", "Bad_Name"], "'Bad_Name' is not a Debian package name"),
        ]
        for (args, message) in cases {
            let r = try s.direct(args)
            #expect(r.status == 1, "\(args): \(r.stdout)")
            #expect(r.stderrLines.count == 1 && r.stderr.hasPrefix("error: ") && r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(try s.layeringFingerprint() == before, "\(args) changed the sysroot")
        }
        // The failing maintainer script is named with its step.
        let fail = try s.direct(["install", "aot-fail"])
        #expect(fail.stderr.contains("dpkg") && fail.stderr.contains("aot-fail"))
        // Nothing is left in the repo's tmp, mounted, or locked.
        let tmp = try FileManager.default.contentsOfDirectory(atPath: s.path + "/ostree/repo/tmp").filter { $0.hasPrefix("apt-ostree") }
        #expect(tmp.isEmpty, "\(tmp)")
        #expect(!(read("/proc/self/mountinfo") ?? "").contains(s.path))
        #expect(try s.direct(["install", "--idempotent", "aot-lib"]).status == 0)
        // The next real change succeeds.
        #expect(try s.direct(["install", "aot-hello"]).status == 0)
    }

    @Test func localDebIsKeptInTheRepoNamedInTheOriginAndRemovableByName() throws {
        let repo = try LocalAptRepo(testPackages())
        defer { repo.remove() }
        let s = try ComposedBase.sysroot(sources: repo.sourceLine)
        var local = TestDeb("aot-local")
        local.version = "2.0"
        local.depends = "aot-lib"
        local.files = ["/usr/bin/aot-local": "#!/bin/sh\necho local\n"]
        let deb = try local.build(into: repo.path + "/..")
        defer { try? FileManager.default.removeItem(atPath: deb) }
        let r = try s.direct(["install", deb])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let d = try s.deploymentPath()
        #expect(read(d + "/usr/bin/aot-local") == "#!/bin/sh\necho local\n")
        let sha = try #require(try run(["sha256sum", deb]).stdout.split(separator: " ").first.map(String.init))
        let first = try #require(try s.deployments().first)
        #expect(first["requested-local-packages"] as? [String] == ["\(sha):aot-local"])
        #expect(try run(["ostree", "rev-parse", "--repo=\(s.path)/ostree/repo", "aptostree/local/\(sha)"]).status == 0)
        // The file can go away: the repo keeps it, and a later layer change installs it again.
        try FileManager.default.removeItem(atPath: deb)
        let more = try s.direct(["install", "aot-hello"])
        #expect(more.status == 0, "\(more.stderr)")
        let d2 = try s.deploymentPath()
        #expect(read(d2 + "/usr/bin/aot-local") != nil && read(d2 + "/usr/bin/aot-hello") != nil)
        let u = try s.direct(["uninstall", "aot-local"])
        #expect(u.status == 0, "\(u.stderr)")
        let d3 = try s.deploymentPath()
        #expect(read(d3 + "/usr/bin/aot-local") == nil)
        #expect((try s.deployments().first?["requested-local-packages"] as? [String])?.isEmpty == true)
    }

    @Test func brokenOrHostileDebFilesAreRefusedNamingTheFile() throws {
        let repo = try LocalAptRepo(testPackages())
        defer { repo.remove() }
        let s = try ComposedBase.sysroot(sources: repo.sourceLine)
        let dir = repo.path
        let good = try TestDeb("aot-good").build(into: dir)
        #expect(try run(["sh", "-c", "head -c 400 \"$1\" > \"$2\"/truncated.deb; echo hello > \"$2\"/text.deb", "sh", good, dir]).status == 0)
        // Crafted data archives: a path out of the tree, and a file through the package's own symlink.
        let craft = #"""
            import io, os, sys, tarfile, subprocess
            d = sys.argv[1]
            def tgz(entries):
                b = io.BytesIO()
                with tarfile.open(fileobj=b, mode="w:gz") as t:
                    for name, kind, data in entries:
                        ti = tarfile.TarInfo(name)
                        if kind == "link": ti.type = tarfile.SYMTYPE; ti.linkname = data
                        elif kind == "dir": ti.type = tarfile.DIRTYPE; ti.mode = 0o755
                        else: ti.size = len(data); ti.mode = 0o644
                        t.addfile(ti, io.BytesIO(data) if kind == "file" else None)
                return b.getvalue()
            def deb(name, entries):
                ctrl = tgz([("./control", "file", f"Package: {name}\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@e>\nDescription: x\n".encode())])
                parts = {"debian-binary": b"2.0\n", "control.tar.gz": ctrl, "data.tar.gz": tgz(entries)}
                for k, v in parts.items(): open(os.path.join(d, k), "wb").write(v)
                subprocess.run(["ar", "rc", os.path.join(d, name + ".deb"), "debian-binary", "control.tar.gz", "data.tar.gz"], cwd=d, check=True)
            deb("aot-escape", [("./usr", "dir", None), ("./../../../aot-escaped", "file", b"x")])
            deb("aot-linkescape", [("./usr", "dir", None), ("./usr/share", "link", "/tmp"), ("./usr/share/aot-through-link", "file", b"x")])
            """#
        let c = try run(["python3", "-c", craft, dir])
        try #require(c.status == 0, "\(c.stderr)")
        let before = try s.layeringFingerprint()
        let cases: [(String, String)] = [
            ("/nonexistent/aot.deb", "/nonexistent/aot.deb: no such file"),
            (dir + "/truncated.deb", "truncated.deb is not a valid .deb"),
            (dir + "/text.deb", "text.deb is not a valid .deb"),
            (dir + "/aot-escape.deb", "Package aot-escape (\(dir)/aot-escape.deb): unsafe path './../../../aot-escaped'"),
            (dir + "/aot-linkescape.deb", "'./usr/share/aot-through-link' goes through its own symlink 'usr/share'"),
        ]
        for (file, message) in cases {
            let r = try s.direct(["install", file])
            #expect(r.status == 1 && r.stderrLines.count == 1 && r.stderr.contains(message), "\(file): \(r.stderr)")
        }
        #expect(try s.layeringFingerprint() == before)
        #expect(!FileManager.default.fileExists(atPath: "/aot-escaped") && !FileManager.default.fileExists(atPath: "/tmp/aot-through-link"))
    }

    @Test func interruptingAnInstallLeavesNothingBehind() throws {
        let repo = try LocalAptRepo(testPackages())
        defer { repo.remove() }
        let s = try ComposedBase.sysroot(sources: repo.sourceLine)
        let before = try s.layeringFingerprint()
        let child = try Child([aptOstreeBinary, "install", "aot-slow", "--sysroot=\(s.path)"],
                              environment: ["DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"])
        var out = ""
        while !out.contains("Running dpkg") {
            let chunk = child.readSomeStdout()
            if chunk.isEmpty { break }
            out += chunk
        }
        #expect(out.contains("Running dpkg"), "\(out)")
        child.signal(SIGINT)
        let r = child.finish()
        #expect(r.status == 1 && r.stderr == "error: Cancelled\n", "\(r.stdout)\(r.stderr)")
        #expect(try s.layeringFingerprint() == before)
        let tmp = try FileManager.default.contentsOfDirectory(atPath: s.path + "/ostree/repo/tmp").filter { $0.hasPrefix("apt-ostree") }
        #expect(tmp.isEmpty, "\(tmp)")
        #expect(!(read("/proc/self/mountinfo") ?? "").contains(s.path))
        // No lock is left: the next change runs.
        #expect(try s.direct(["install", "aot-lib"]).status == 0)
    }

    @Test func aFullDiskFailsTheInstallAndLeavesTheSysrootAsItWas() throws {
        var big = TestDeb("aot-big")
        big.files = ["/usr/share/aot-big/README": "big\n"]
        let repo = try LocalAptRepo(testPackages() + [big])
        defer { repo.remove() }
        // 40 MB that do not compress, added to the package after building it.
        let blob = repo.path + "/blob"
        #expect(try run(["sh", "-c", """
            set -e; cd "$1"; rm -f aot-big_1.0_all.deb; mkdir -p b/DEBIAN b/usr/share/aot-big
            printf 'Package: aot-big\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@e>\nDescription: big\n' > b/DEBIAN/control
            head -c 40000000 /dev/urandom > b/usr/share/aot-big/blob
            dpkg-deb --root-owner-group -Znone --build b aot-big_1.0_all.deb >/dev/null; rm -rf b
            dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null
            """, "sh", repo.path]).status == 0)
        _ = blob
        // A sysroot on a tmpfs with about 12 MB to spare.
        let mnt = FileManager.default.temporaryDirectory.appendingPathComponent("apt-ostree-full-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        #expect(try run(["mount", "-t", "tmpfs", "-o", "size=3G", "tmpfs", mnt]).status == 0)
        defer { _ = try? run(["sh", "-c", "umount -l \"$1\"; rmdir \"$1\"", "sh", mnt]) }
        let s = try ComposedBase.sysroot(sources: repo.sourceLine, at: mnt + "/sysroot")
        #expect(try s.direct(["refresh-md"]).status == 0)
        let used = try run(["sh", "-c", "df -k --output=used \"$1\" | tail -1", "sh", mnt]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let kib = try #require(Int(used))
        #expect(try run(["mount", "-o", "remount,size=\(kib + 12 * 1024)k", mnt]).status == 0)
        let before = try s.layeringFingerprint()
        let r = try s.direct(["install", "aot-big"])
        #expect(r.status == 1 && r.stderrLines.count == 1 && r.stderr.contains("No space left on device"), "\(r.stdout)\(r.stderr)")
        #expect(try s.layeringFingerprint() == before)
        let tmp = try FileManager.default.contentsOfDirectory(atPath: s.path + "/ostree/repo/tmp").filter { $0.hasPrefix("apt-ostree") }
        #expect(tmp.isEmpty, "\(tmp)")
        #expect(!(read("/proc/self/mountinfo") ?? "").contains(s.path + "/"))
        // With room again, the same install works.
        #expect(try run(["mount", "-o", "remount,size=3G", mnt]).status == 0)
        #expect(try s.direct(["install", "aot-big"]).status == 0)
    }

    @Test func dryRunAndDownloadOnlyChangeNothing() throws {
        let repo = try LocalAptRepo(testPackages())
        defer { repo.remove() }
        let s = try ComposedBase.sysroot(sources: repo.sourceLine)
        let before = try s.layeringFingerprint()
        let dry = try s.direct(["install", "--dry-run", "aot-hello"])
        #expect(dry.status == 0 && dry.stdout.contains("  aot-lib 1.0") && dry.stdout.contains("  aot-hello 1.0"), "\(dry.stdout)\(dry.stderr)")
        let dl = try s.direct(["install", "--download-only", "aot-hello"])
        #expect(dl.status == 0 && dl.stdout.contains("--download-only"), "\(dl.stderr)")
        #expect(try s.layeringFingerprint() == before)
        // --cache-only then layers from what was downloaded, with no list update.
        let cached = try s.direct(["install", "--cache-only", "aot-hello"])
        #expect(cached.status == 0 && !cached.stdout.contains("Updating package lists"), "\(cached.stdout)\(cached.stderr)")
    }

    @Test func installThroughTheDaemonRunsAsATransaction() throws {
        let repo = try LocalAptRepo(testPackages())
        defer { repo.remove() }
        let s = try ComposedBase.sysroot(sources: repo.sourceLine)
        let d = try TestDaemon(sysroot: s)
        let r = try d.cli(["install", "aot-hello"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("Running dpkg on 2 packages"))
        #expect(try s.deployments().first?["requested-packages"] as? [String] == ["aot-hello"])
        #expect(try d.log().contains("install aot-hello"))
        #expect(try d.cli(["history"], uid: 65534).stdout.contains("install aot-hello (uid 0, apt-ostreed)"))
        // The read-only commands answer through the daemon too, for any user.
        let diff = try d.cli(["db", "diff", "rollback", "pending"], uid: 65534)
        #expect(diff.status == 0 && diff.stdout.contains("Added:\n  aot-hello-1.0\n  aot-lib-1.0\n"), "\(diff.stdout)\(diff.stderr)")
        let list = try d.cli(["db", "list", "aot-*"], uid: 65534)
        #expect(list.status == 0 && list.stdout.contains(" aot-hello 1.0 all\n") && !list.stdout.contains(" systemd "), "\(list.stdout)\(list.stderr)")
        #expect(try d.cli(["refresh-md"]).status == 0)
        let search = try d.cli(["search", "^aot-"], uid: 65534)
        #expect(search.status == 0 && search.stdout.contains("aot-hello - apt-ostree test package aot-hello"), "\(search.stdout)\(search.stderr)")
        let info = try d.cli(["info", "aot-fail"], uid: 65534)
        #expect(info.status == 0 && info.stdout.contains("Package: aot-fail"), "\(info.stderr)")
        #expect(try d.cli(["info", "no-such-aot"]).stderr == "error: Packages not found: no-such-aot\n")
        // An unprivileged caller is refused by polkit before anything runs.
        let denied = try d.cli(["uninstall", "aot-hello"], uid: 65534)
        #expect(denied.status == 1 && denied.stderr.contains("org.debian.aptostree1.install-uninstall-packages"), "\(denied.stderr)")
    }
}

/// Layering real packages from Debian's mirror onto the composed base.
@Suite(.serialized) struct LayeringDebianPackagesTests {
    @Test func chronyNginxAndHtopFromTheMirrorLayerWithUsersUnitsAndVar() throws {
        let s = try ComposedBase.sysroot(sources: "deb http://deb.debian.org/debian bookworm main\n")
        let r = try s.direct(["install", "chrony", "nginx-light", "htop"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let d = try s.deploymentPath()
        let admindir = d + "/usr/lib/sysimage/dpkg"
        let q = try run(["dpkg-query", "--admindir=\(admindir)", "-W", "-f", "${Package} ${db:Status-Abbrev}\n", "chrony", "nginx-light", "htop"])
        #expect(q.stdout == "chrony ii \nhtop ii \nnginx-light ii \n", "\(q.stdout)\(q.stderr)")
        #expect(FileManager.default.isExecutableFile(atPath: d + "/usr/sbin/chronyd") && FileManager.default.isExecutableFile(atPath: d + "/usr/bin/htop"))
        // chrony's postinst made its system user; it reaches edited machines through sysusers.d.
        #expect(read(d + "/usr/etc/passwd")?.contains("_chrony:x:") == true)
        #expect(read(d + "/usr/lib/sysusers.d/apt-ostree-layer.conf")?.contains("u _chrony ") == true)
        // Units enabled by deb-systemd-helper, as image content.
        #expect(link(d + "/usr/etc/systemd/system/multi-user.target.wants/chrony.service") != nil)
        #expect(link(d + "/usr/etc/systemd/system/multi-user.target.wants/nginx.service") != nil)
        // /var folders the packages ship come back at boot with their owners.
        let tmpfiles = read(d + "/usr/lib/tmpfiles.d/apt-ostree-layer.conf") ?? ""
        #expect(tmpfiles.contains("d /var/lib/chrony 750 _chrony _chrony -\n"), "\(tmpfiles)")
        #expect(tmpfiles.contains("d /var/lib/nginx 755 root root -\n"), "\(tmpfiles)")
        #expect(tmpfiles.contains("d /var/log/nginx 755 root adm -\n"), "\(tmpfiles)")
        // ucf came in as a dependency: its state lives in the image, linked from /var.
        #expect(tmpfiles.contains("L /var/lib/ucf - - - - /usr/lib/sysimage/ucf\n"), "\(tmpfiles)")
        // nginx's configuration is image content under /usr/etc, and in the deployment's /etc.
        #expect(read(d + "/usr/etc/nginx/nginx.conf") != nil && read(d + "/etc/nginx/nginx.conf") != nil)
        // db diff sees exactly what the layer added.
        let diff = try s.direct(["db", "diff", "rollback", "pending", "--format=json"])
        #expect(diff.status == 0, "\(diff.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any]
        let added = Set(((json?["added"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
        #expect(added.isSuperset(of: ["chrony", "nginx-light", "htop"]) && (json?["removed"] as? [Any])?.isEmpty == true)
        // search and info read the same lists.
        let search = try s.direct(["search", "^nginx-light$"])
        #expect(search.status == 0 && search.stdout.hasPrefix("nginx-light - "), "\(search.stdout)\(search.stderr)")
        let info = try s.direct(["info", "chrony"])
        #expect(info.status == 0 && info.stdout.contains("Package: chrony"))
    }
}
