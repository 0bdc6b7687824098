import AptOstreeCore
import AptOstreeModel
import AptOstreeTestSupport
import Foundation
import OSTreeKit
import Testing

/// A small tree shaped like mmdebstrap's output, made with shell commands.
private func makeFixtureTree() throws -> String {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("apt-ostree-tree-\(UUID().uuidString.prefix(8))").path
    let script = #"""
        set -e
        R="$1"
        mkdir -p "$R"/usr/bin "$R"/usr/sbin "$R"/usr/lib/modules/6.1.0-9-amd64/kernel "$R"/usr/lib/tmpfiles.d "$R"/usr/local/bin
        ln -s usr/bin "$R"/bin; ln -s usr/sbin "$R"/sbin; ln -s usr/lib "$R"/lib
        mkdir -p "$R"/etc "$R"/boot "$R"/dev/pts "$R"/run/lock "$R"/tmp "$R"/proc "$R"/sys "$R"/home "$R"/root "$R"/opt "$R"/srv "$R"/mnt "$R"/media
        chmod 0700 "$R"/root; chmod 1777 "$R"/tmp
        printf 'root:x:0:0:root:/root:/bin/bash\n_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\nmessagebus:x:100:101:"Bus" user:/nonexistent:/usr/sbin/nologin\n' > "$R"/etc/passwd
        printf 'root:x:0:\nmessagebus:x:101:\nadm:x:4:messagebus\nnogroup:x:65534:\n' > "$R"/etc/group
        echo myhost > "$R"/etc/hostname; echo nameserver 10.0.0.1 > "$R"/etc/resolv.conf
        echo 0123456789abcdef0123456789abcdef > "$R"/etc/machine-id; echo '# fstab' > "$R"/etc/fstab
        echo 'export PS1=#' > "$R"/root/.bashrc
        mkdir -p "$R"/var/lib/dpkg/info "$R"/var/cache/debconf "$R"/var/lib/apt/lists "$R"/var/log/apt "$R"/var/lib/dbus "$R"/var/spool
        printf 'Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n' > "$R"/var/lib/dpkg/status
        echo config > "$R"/var/cache/debconf/config.dat
        echo 'Package: x' > "$R"/var/lib/apt/extended_states
        echo list > "$R"/var/lib/apt/lists/deb.debian.org_Packages
        echo log > "$R"/var/log/apt/history.log
        mkdir -p "$R"/var/lib/private-thing && chown 100:101 "$R"/var/lib/private-thing && chmod 0750 "$R"/var/lib/private-thing
        ln -s /etc/machine-id "$R"/var/lib/dbus/machine-id
        ln -s ../run "$R"/var/run
        printf 'L /var/run - - - - ../run\nd /var/log 0755 - - -\n' > "$R"/usr/lib/tmpfiles.d/var.conf
        echo kernel > "$R"/boot/vmlinuz-6.1.0-9-amd64; echo initrd > "$R"/boot/initrd.img-6.1.0-9-amd64
        echo cfg > "$R"/boot/config-6.1.0-9-amd64; echo map > "$R"/boot/System.map-6.1.0-9-amd64
        ln -s boot/vmlinuz-6.1.0-9-amd64 "$R"/vmlinuz; ln -s boot/initrd.img-6.1.0-9-amd64 "$R"/initrd.img
        echo > "$R"/var/lib/dpkg/lock; echo > "$R"/etc/.pwd.lock
        mknod "$R"/dev/null c 1 3; echo pid > "$R"/run/lock/x.pid; echo t > "$R"/tmp/leftover
        echo bin > "$R"/usr/bin/true-ish
        """#
    let r = try run(["sh", "-c", script, "sh", root])
    guard r.status == 0 else { throw NSError(domain: "fixture", code: 1, userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
    return root
}

private func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
private func link(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }
private func exists(_ path: String) -> Bool { (try? FileManager.default.attributesOfItem(atPath: path)) != nil }

@Suite struct TreeTransformTests {
    @Test func transformFollowsEveryRuleOfDesignSection2() throws {
        let root = try makeFixtureTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try TreeTransform(root: root, requireKernel: true).run()

        // /etc moved to /usr/etc.
        #expect(!exists(root + "/etc") && read(root + "/usr/etc/passwd")?.contains("_apt") == true)
        // The package database and its kin under /usr/lib/sysimage, linked back at boot.
        #expect(read(root + "/usr/lib/sysimage/dpkg/status")?.contains("base-files") == true)
        #expect(read(root + "/usr/lib/sysimage/debconf/config.dat") == "config\n")
        #expect(read(root + "/usr/lib/sysimage/apt/extended_states") == "Package: x\n")
        let tmpfiles = read(root + TreeTransform.tmpfilesPath) ?? ""
        for line in ["L /var/lib/dpkg - - - - /usr/lib/sysimage/dpkg", "L /var/cache/debconf - - - - /usr/lib/sysimage/debconf",
                     "L /var/lib/apt/extended_states - - - - /usr/lib/sysimage/apt/extended_states"] {
            #expect(tmpfiles.contains(line + "\n"), "missing \(line)")
        }
        // /var ships empty; folders become d lines with owner and mode, links L lines; files go.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/var").isEmpty)
        #expect(tmpfiles.contains("d /var/lib/private-thing 750 messagebus messagebus -\n"))
        #expect(tmpfiles.contains("d /var/lib/apt/lists 755 root root -\n"))
        #expect(tmpfiles.contains("d /var/log/apt 755 root root -\n"))
        #expect(tmpfiles.contains("L /var/lib/dbus/machine-id - - - - /etc/machine-id\n"))
        // Paths the tree's own tmpfiles.d files declare are left to them.
        #expect(!tmpfiles.contains(" /var/run ") && !tmpfiles.contains("d /var/log 755"))
        #expect(!tmpfiles.contains("history.log") && !tmpfiles.contains("deb.debian.org_Packages"))
        // Top-level links into /var and /run; root's files come back from /usr/share/factory.
        for (path, target) in [("/home", "var/home"), ("/root", "var/roothome"), ("/opt", "var/opt"), ("/srv", "var/srv"),
                               ("/mnt", "var/mnt"), ("/media", "run/media"), ("/usr/local", "../var/usrlocal"), ("/ostree", "sysroot/ostree")] {
            #expect(link(root + path) == target, "\(path)")
        }
        #expect(exists(root + "/sysroot"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/sysroot").isEmpty)
        #expect(tmpfiles.contains("d /var/roothome 700 root root -\n") && tmpfiles.contains("d /var/home 755 root root -\n"))
        #expect(tmpfiles.contains("d /var/usrlocal/bin 755 root root -\n"))
        #expect(read(root + "/usr/share/factory/var/roothome/.bashrc") == "export PS1=#\n")
        #expect(tmpfiles.contains("C /var/roothome/.bashrc - - - - -\n"))
        #expect(read(root + "/usr/etc/tmpfiles.d/home.conf")?.hasPrefix("# apt-ostree") == true)
        // The kernel and initramfs in /usr/lib/modules/KVER; /boot and the root links empty.
        #expect(result.kernelVersion == "6.1.0-9-amd64")
        let mod = root + "/usr/lib/modules/6.1.0-9-amd64"
        #expect(read(mod + "/vmlinuz") == "kernel\n" && read(mod + "/initramfs.img") == "initrd\n")
        #expect(read(mod + "/config") == "cfg\n" && read(mod + "/System.map") == "map\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/boot").isEmpty)
        #expect(!exists(root + "/vmlinuz") && link(root + "/initrd.img") == nil)
        // Build-host leftovers are gone; machine-id is empty for first boot.
        for dir in ["/dev", "/run", "/tmp"] { #expect(try FileManager.default.contentsOfDirectory(atPath: root + dir).isEmpty, "\(dir)") }
        for f in ["/usr/etc/hostname", "/usr/etc/resolv.conf", "/usr/etc/fstab"] { #expect(!exists(root + f), "\(f)") }
        #expect(read(root + "/usr/etc/machine-id") == "")
        #expect(!exists(root + "/usr/lib/sysimage/dpkg/lock") && !exists(root + "/usr/etc/.pwd.lock"))
        // Users and groups as sysusers.d lines with their ids (root is systemd's own).
        let sysusers = read(root + TreeTransform.sysusersPath) ?? ""
        #expect(sysusers.contains("u _apt 42:65534 - /nonexistent /usr/sbin/nologin\n"))
        #expect(sysusers.contains("u messagebus 100:101 \"Bus user\" /nonexistent /usr/sbin/nologin\n"))
        #expect(sysusers.contains("g messagebus 101\n") && sysusers.contains("m messagebus adm\n"))
        #expect(!sysusers.contains(" root "))
    }

    @Test func sysusersLinesRecreateImageUsersOnAMachineWithItsOwnPasswd() throws {
        let root = try makeFixtureTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try TreeTransform(root: root, requireKernel: true).run()
        // A machine whose /etc/passwd and /etc/group were edited: it knows none of the image's users.
        let machine = root + "-machine"
        defer { try? FileManager.default.removeItem(atPath: machine) }
        try FileManager.default.createDirectory(atPath: machine + "/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: machine + "/usr/lib", withIntermediateDirectories: true)
        try "root:x:0:0:root:/root:/bin/bash\nadmin:x:1000:1000::/home/admin:/bin/bash\n".write(toFile: machine + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\nadmin:x:1000:\n".write(toFile: machine + "/etc/group", atomically: true, encoding: .utf8)
        let r = try run(["systemd-sysusers", "--root=\(machine)", root + TreeTransform.sysusersPath])
        #expect(r.status == 0, "\(r.stderr)")
        let passwd = read(machine + "/etc/passwd") ?? ""
        #expect(passwd.contains("admin:x:1000:1000"))
        #expect(passwd.contains("_apt:x:42:65534:"))
        #expect(passwd.contains("messagebus:x:100:101:"))
        #expect(read(machine + "/etc/group")?.contains("messagebus:x:101:") == true)
    }

    @Test func treesThatCannotBootAreRefusedNamingWhy() throws {
        let root = try makeFixtureTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "k2".write(toFile: root + "/boot/vmlinuz-6.1.0-10-amd64", atomically: true, encoding: .utf8)
        #expect { try TreeTransform(root: root, requireKernel: true).run() } throws: {
            ($0 as? AptOstreeError)?.message == "The tree has more than one kernel in /boot: vmlinuz-6.1.0-10-amd64, vmlinuz-6.1.0-9-amd64"
        }
        let plain = try makeFixtureTree()
        defer { try? FileManager.default.removeItem(atPath: plain) }
        try FileManager.default.removeItem(atPath: plain + "/bin")
        try FileManager.default.createDirectory(atPath: plain + "/bin", withIntermediateDirectories: false)
        #expect { try TreeTransform(root: plain, requireKernel: false).run() } throws: {
            ($0 as? AptOstreeError)?.message == "The tree is not merged-/usr: /bin is a folder, not a link into /usr"
        }
    }

    @Test func commitKeepsTheTreeAndItsPackageListAndSeesWhenNothingChanged() throws {
        let root = try makeFixtureTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try TreeTransform(root: root, requireKernel: true).run()
        let repoPath = root + "-repo"
        defer { try? FileManager.default.removeItem(atPath: repoPath) }
        #expect(try run(["ostree", "init", "--repo=\(repoPath)", "--mode=archive"]).status == 0)
        let repo = try Repo.open(path: repoPath)
        let pkgs = [["base-files", "12.4", "amd64"]]
        let first = try repo.writeCommit(directory: root, parent: nil, subject: "s", metadata: ["version": .string("1"), "aptostree.dpkg.pkglist": .stringTriples(pkgs)],
                                         ref: "test/ref", timestamp: 1_700_000_000)
        let checksum = try #require(first.checksum)
        #expect(try repo.resolve("test/ref") == checksum)
        let commit = try repo.loadCommit(checksum)
        #expect(commit.version == "1" && commit.metadataStringTriples("aptostree.dpkg.pkglist") == pkgs)
        // The committed tree is what was transformed (ostree itself reads it back).
        let ls = try run(["ostree", "ls", "--repo=\(repoPath)", "test/ref", "/usr/lib/sysimage/dpkg/status", "/usr/etc/passwd"])
        #expect(ls.status == 0 && ls.stdout.contains("/usr/etc/passwd"), "\(ls.stderr)")
        // The same tree again: no new commit, the ref stays.
        let again = try repo.writeCommit(directory: root, parent: checksum, subject: "s", metadata: [:], ref: "test/ref",
                                         timestamp: 1_700_000_100, skipIfUnchanged: true)
        #expect(again.checksum == nil && again.contentChecksum == first.contentChecksum)
        #expect(try repo.resolve("test/ref") == checksum)
        // A changed tree: a new commit whose parent is the old one.
        try "new".write(toFile: root + "/usr/bin/added", atomically: true, encoding: .utf8)
        let changed = try repo.writeCommit(directory: root, parent: checksum, subject: "s", metadata: [:], ref: "test/ref",
                                           timestamp: 1_700_000_200, skipIfUnchanged: true)
        let second = try #require(changed.checksum)
        #expect(try repo.resolve("test/ref") == second)
        #expect(try repo.loadCommit(second).parent == checksum)
    }
}
