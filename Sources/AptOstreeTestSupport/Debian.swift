import Foundation

/// The composed minimal base the layering tests layer onto: `manifests/minimal.yaml` in the
/// repo `.cache/test-repo` (git-ignored, kept between runs, so a later run finds it with a
/// no-change compose), with apt lists and .debs cached in `.cache/compose`.
public enum ComposedBase {
    public static let ref = "debian/bookworm/x86_64/minimal"
    public static var repo: String { packageRoot.appendingPathComponent(".cache/test-repo").path }

    /// Composes (or finds) the base; returns the repo path.
    public static func ensure() throws -> String {
        let lock = NSLock()
        lock.lock()
        defer { lock.unlock() }
        // Archive mode: the update tests serve it over HTTP.
        let config = (try? String(contentsOfFile: repo + "/config", encoding: .utf8)) ?? ""
        if !config.contains("mode=archive") {
            try? FileManager.default.removeItem(atPath: repo)
            try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
            let r = try run(["ostree", "init", "--repo=\(repo)", "--mode=archive"])
            guard r.status == 0 else { throw TestFailure(r.stderr) }
        }
        let r = try run([aptOstreeBinary, "compose", "tree", packageRoot.appendingPathComponent("manifests/minimal.yaml").path,
                         "--repo=\(repo)", "--cachedir=\(packageRoot.appendingPathComponent(".cache/compose").path)", "-q"])
        guard r.status == 0 || r.status == 77 else { throw TestFailure("composing the base: \(r.stderr)") }
        return repo
    }

    /// A new sysroot folder with the base deployed (`compose image --format=sysroot`), whose
    /// apt sources are replaced by `sources` (e.g. a local repository).
    public static func sysroot(sources: String, at given: String? = nil) throws -> TestSysroot {
        let repo = try ensure()
        let path = given ?? FileManager.default.temporaryDirectory.appendingPathComponent("apt-ostree-layer-\(UUID().uuidString.prefix(8))").path
        let r = try run([aptOstreeBinary, "compose", "image", ref, path, "--format=sysroot", "--repo=\(repo)", "-q"])
        guard r.status == 0 else { throw TestFailure("deploying the base: \(r.stderr)") }
        let s = TestSysroot(adopting: path, osname: "debian", ref: ref)
        try sources.write(toFile: try s.deploymentPath() + "/etc/apt/sources.list", atomically: true, encoding: .utf8)
        return s
    }
}

extension TestSysroot {
    /// The folder of deployment `index` (default first).
    public func deploymentPath(index: Int = 0) throws -> String {
        let list = try deployments()
        guard list.count > index, let checksum = list[index]["checksum"] as? String, let serial = list[index]["serial"] as? Int,
              let osname = list[index]["osname"] as? String else { throw TestFailure("no deployment \(index) in \(list)") }
        return "\(path)/ostree/deploy/\(osname)/deploy/\(checksum).\(serial)"
    }

    /// `status --json`'s deployments.
    public func deployments() throws -> [[String: Any]] {
        let status = try run([aptOstreeBinary, "status", "--json", "--sysroot=\(path)"], environment: ["DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"])
        guard status.status == 0, let json = try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("status --json failed (\(status.status)): \(status.stderr)")
        }
        return json["deployments"] as? [[String: Any]] ?? []
    }

    /// Runs `apt-ostree ARGS --sysroot=PATH` with the in-process engine (no bus).
    @discardableResult
    public func direct(_ args: [String]) throws -> ProcessResult {
        try run([aptOstreeBinary] + args + ["--sysroot=\(path)"], environment: ["DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"])
    }

    /// Runs `sh -c SCRIPT` as if deployment `index` (0: the default) were booted
    /// (`scripts/booted-ns.sh`: a private mount namespace with that deployment as /); the
    /// host's apt-ostree is first on PATH there. Each call is a boot of its own.
    /// `binds` are host folders shown at the same path (a local apt repository).
    public func booted(index: Int = 0, binds: [String] = [], _ script: String) throws -> ProcessResult {
        try run([packageRoot.appendingPathComponent("scripts/booted-ns.sh").path, "--index", String(index)] + binds.flatMap { ["--bind", $0] }
                + [path, "sh", "-c", script],
                environment: ["APT_OSTREE_BUILD": (aptOstreeBinary as NSString).deletingLastPathComponent])
    }

    /// A fingerprint of deployments, origins, boot entries and refs (what a failure must not change).
    public func layeringFingerprint() throws -> String {
        let script = """
            cd "$1" && { ls ostree/deploy/*/deploy boot/loader/entries; cat boot/loader/entries/*.conf ostree/deploy/*/deploy/*.origin;
            find ostree/repo/refs -type f | sort | xargs cat; } | sha256sum
            """
        return try run(["sh", "-c", script, "sh", path]).stdout
    }
}

/// A failure while setting up a test.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// A tiny Debian package built with dpkg-deb.
public struct TestDeb {
    public var name: String
    public var version = "1.0"
    public var depends: String?
    public var conflicts: String?
    /// Files: absolute path in the package -> content (executables under /usr/bin get 0755).
    public var files: [String: String] = [:]
    /// Conffiles (absolute paths, also in files).
    public var conffiles: [String] = []
    public var postinst: String?
    /// The DEBIAN/triggers file.
    public var triggers: String?

    public init(_ name: String) { self.name = name }

    /// Builds `name_version_all.deb` into `directory`.
    @discardableResult
    public func build(into directory: String) throws -> String {
        let root = directory + "/build-\(name)"
        try? FileManager.default.removeItem(atPath: root)
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/DEBIAN", withIntermediateDirectories: true)
        var control = "Package: \(name)\nVersion: \(version)\nArchitecture: all\nMaintainer: apt-ostree tests <tests@example.org>\nDescription: apt-ostree test package \(name)\n"
        if let depends { control += "Depends: \(depends)\n" }
        if let conflicts { control += "Conflicts: \(conflicts)\n" }
        try control.write(toFile: root + "/DEBIAN/control", atomically: true, encoding: .utf8)
        if !conffiles.isEmpty { try (conffiles.joined(separator: "\n") + "\n").write(toFile: root + "/DEBIAN/conffiles", atomically: true, encoding: .utf8) }
        if let triggers { try triggers.write(toFile: root + "/DEBIAN/triggers", atomically: true, encoding: .utf8) }
        if let postinst {
            try ("#!/bin/sh\nset -e\n" + postinst + "\n").write(toFile: root + "/DEBIAN/postinst", atomically: true, encoding: .utf8)
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root + "/DEBIAN/postinst")
        }
        for (path, content) in files {
            let full = root + path
            if path.hasSuffix("/") {
                try fm.createDirectory(atPath: full, withIntermediateDirectories: true)
                continue
            }
            try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try content.write(toFile: full, atomically: true, encoding: .utf8)
            if path.hasPrefix("/usr/bin/") { try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: full) }
        }
        let out = "\(directory)/\(name)_\(version)_all.deb"
        let r = try run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", root, out])
        guard r.status == 0 else { throw TestFailure("dpkg-deb \(name): \(r.stderr)") }
        try fm.removeItem(atPath: root)
        return out
    }
}

/// A flat apt repository of test packages in a folder (`deb [trusted=yes] file:DIR ./`).
public struct LocalAptRepo {
    public let path: String

    /// Builds every package and writes the Packages index with dpkg-scanpackages.
    public init(_ debs: [TestDeb]) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("apt-ostree-debs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for d in debs { try d.build(into: path) }
        let r = try run(["sh", "-c", "cd \"$1\" && dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null", "sh", path])
        guard r.status == 0 else { throw TestFailure("dpkg-scanpackages: \(r.stderr)") }
    }

    /// The one-line source for it.
    public var sourceLine: String { "deb [trusted=yes] file:\(path) ./\n" }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
