import Foundation

/// The package's root folder, found from this file's path.
public let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// What a finished process left: its exit status and output.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// stderr's non-empty lines.
    public var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

/// Runs a program to completion (stdin from /dev/null) and captures its output.
@discardableResult
public func run(_ argv: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = argv
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { _, new in new }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    try p.run()
    // Drain both pipes while the process runs, so a large output cannot block it.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// The built `apt-ostree` binary (`APT_OSTREE_BIN`, else `.build/debug/apt-ostree`).
public var aptOstreeBinary: String {
    ProcessInfo.processInfo.environment["APT_OSTREE_BIN"]
        ?? packageRoot.appendingPathComponent(".build/debug/apt-ostree").path
}

/// A real OSTree sysroot in a temporary folder, made by `scripts/make-sysroot.sh`
/// (`ostree admin init-fs`, `os-init`, commits of small trees, deployments).
/// Deployment folders carry the immutable flag, so removal runs `chattr -i` first.
public final class TestSysroot: @unchecked Sendable {
    /// The sysroot folder.
    public let path: String
    /// The stateroot.
    public let osname: String
    /// The ref the commits are on.
    public let ref: String

    /// Makes a sysroot with one commit per version, each deployed in turn (the last is the
    /// default) unless `deploy` limits how many are deployed.
    public init(versions: [String] = ["1.0", "1.1"], deploy: Int? = nil, osname: String = "debian",
                ref: String = "debian/bookworm/x86_64", kargs: [String] = []) throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("apt-ostree-test-\(UUID().uuidString.prefix(8))").path
        self.osname = osname
        self.ref = ref
        var argv = [packageRoot.appendingPathComponent("scripts/make-sysroot.sh").path, path,
                    "--os", osname, "--ref", ref, "--versions", versions.joined(separator: " ")]
        if let deploy { argv += ["--deploy", String(deploy)] }
        for k in kargs { argv += ["--karg", k] }
        let r = try run(argv)
        guard r.status == 0 else {
            throw NSError(domain: "TestSysroot", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.stderr])
        }
    }

    deinit {
        _ = try? run(["sh", "-c", "chattr -i \"$1\"/ostree/deploy/*/deploy/* 2>/dev/null; rm -rf \"$1\"", "sh", path])
    }

    /// Runs `apt-ostree ARGS --sysroot=PATH`.
    @discardableResult
    public func cli(_ args: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try run([aptOstreeBinary] + args + ["--sysroot=\(path)"], environment: environment)
    }

    /// Runs `ostree ARGS` (admin commands get `--sysroot`, others `--repo`).
    public func ostree(_ args: [String]) throws -> ProcessResult {
        let extra = args.first == "admin" ? ["--sysroot=\(path)"] : ["--repo=\(path)/ostree/repo"]
        return try run(["ostree"] + args + extra)
    }

    /// The checksum a ref or revision resolves to.
    public func revParse(_ rev: String) throws -> String {
        try ostree(["rev-parse", rev]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The boot loader entries (`/boot/loader/entries/*.conf`), each as key -> value, in
    /// the order the boot menu shows them (highest `version` first, as ostree numbers them).
    public func bootEntries() throws -> [[String: String]] {
        let dir = URL(fileURLWithPath: path).appendingPathComponent("boot/loader/entries")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".conf") }
        let entries = try files.map { f -> [String: String] in
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            var e: [String: String] = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1)
                if parts.count == 2 { e[String(parts[0])] = String(parts[1]) }
            }
            return e
        }
        return entries.sorted { Int($0["version"] ?? "0")! > Int($1["version"] ?? "0")! }
    }

    /// A fingerprint of everything a failed command must leave unchanged: boot entries,
    /// deployment folders, origins, refs and the repo's commit objects.
    public func fingerprint() throws -> String {
        let script = """
            cd "$1" && { find boot/loader/ ostree/deploy/*/deploy ostree/repo/refs ostree/repo/objects -maxdepth 2 | sort;
            cat boot/loader/entries/*.conf ostree/deploy/*/deploy/*.origin; find ostree/repo/objects -name '*.commit' | sort; } | sha256sum
            """
        return try run(["sh", "-c", script, "sh", path]).stdout
    }

    /// The deployment list `ostree admin status` prints: (osname, checksum.serial, version).
    public func ostreeAdminStatus() throws -> [(osname: String, id: String, version: String?)] {
        let text = try ostree(["admin", "status"]).stdout
        var out: [(String, String, String?)] = []
        for line in text.split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("Version:") {
                if !out.isEmpty { out[out.count - 1].2 = String(t.dropFirst("Version:".count)).trimmingCharacters(in: .whitespaces) }
                continue
            }
            let words = t.replacingOccurrences(of: "* ", with: "").split(separator: " ")
            if words.count >= 2, words[1].count > 64, words[1].contains(".") {
                out.append((String(words[0]), String(words[1]), nil))
            }
        }
        return out
    }
}
