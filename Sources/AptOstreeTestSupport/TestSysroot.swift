import AptOstreePOSIX
import CGio
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

/// A child process started with posix_spawn (not Foundation's Process, whose waitUntilExit
/// was seen to hang on a child that had already exited): stdin from /dev/null or a pipe,
/// stdout and stderr to pipes or to a file.
public final class Child: @unchecked Sendable {
    /// The process id.
    public let pid: pid_t
    private var outFD: Int32 = -1, errFD: Int32 = -1, inFD: Int32 = -1
    private var status: Int32?

    /// Starts `argv` (looked up on PATH) with `environment` added to ours. With `logPath`,
    /// stdout and stderr append to that file; with `stdinPipe`, `closeStdin()` ends its input.
    public init(_ argv: [String], environment: [String: String] = [:], logPath: String? = nil,
                stdinPipe: Bool = false) throws {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], inPipe: [Int32] = [-1, -1]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdinPipe {
            guard cloexecPipe(&inPipe) else { throw POSIXError(.EMFILE) }
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if let logPath {
            posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            guard cloexecPipe(&outPipe), cloexecPipe(&errPipe) else { throw POSIXError(.EMFILE) }
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        }
        for fd in outPipe + errPipe + inPipe where fd >= 0 { posix_spawn_file_actions_addclose(&actions, fd) }
        let cargv: [UnsafeMutablePointer<CChar>?] = (["/usr/bin/env"] + argv).map { strdup($0) } + [nil]
        let cenv: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cargv + cenv).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = withCleanSpawnAttributes { posix_spawn(&pid, "/usr/bin/env", &actions, &$0, cargv, cenv) }
        for fd in [outPipe[1], errPipe[1], inPipe[0]] where fd >= 0 { close(fd) }
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        self.pid = pid
        outFD = outPipe[0]; errFD = errPipe[0]; inFD = inPipe[1]
    }

    /// Ends the child's stdin (with `stdinPipe`).
    public func closeStdin() {
        if inFD >= 0 { close(inFD); inFD = -1 }
    }

    /// Reads one chunk of stdout (blocking until there is some, or EOF).
    public func readSomeStdout() -> String {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = read(outFD, &buf, buf.count)
        return n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : ""
    }

    /// Reads stdout and stderr to their ends, then waits for the exit status.
    public func finish() -> ProcessResult {
        var out: [UInt8] = [], err: [UInt8] = []
        var fds = [pollfd(fd: outFD, events: Int16(POLLIN), revents: 0), pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)]
        var open = fds.filter { $0.fd >= 0 }.count
        var buf = [UInt8](repeating: 0, count: 65536)
        while open > 0 {
            if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue }; break }
            for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = read(fds[i].fd, &buf, buf.count)
                if n > 0 {
                    if i == 0 { out += buf[0..<n] } else { err += buf[0..<n] }
                } else {
                    close(fds[i].fd)
                    fds[i].fd = -1
                    open -= 1
                }
            }
        }
        outFD = -1; errFD = -1
        closeStdin()
        return ProcessResult(status: wait(), stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// Waits for the child and returns its exit status (128+N for signal N).
    @discardableResult
    public func wait() -> Int32 {
        if let status { return status }
        var s: Int32 = 0
        while waitpid(pid, &s, 0) < 0 && errno == EINTR {}
        let exit = (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f)
        status = exit
        return exit
    }

    /// Whether the child is still running.
    public var isRunning: Bool {
        guard status == nil else { return false }
        var s: Int32 = 0
        if waitpid(pid, &s, WNOHANG) == pid {
            status = (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f)
            return false
        }
        return true
    }

    /// Sends `signal`.
    public func signal(_ sig: Int32) { if status == nil { kill(pid, sig) } }

    deinit {
        for fd in [outFD, errFD, inFD] where fd >= 0 { close(fd) }
    }
}

/// Runs a program to completion (stdin from /dev/null) and captures its output.
@discardableResult
public func run(_ argv: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    try Child(argv, environment: environment).finish()
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

    /// Takes over a sysroot made elsewhere (removed on deinit like the others).
    public init(adopting path: String, osname: String, ref: String) {
        self.path = path
        self.osname = osname
        self.ref = ref
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

/// A pipe whose ends close on exec, made atomically (GLib uses pipe2): children spawned at the
/// same time by other tests must not inherit it, or its reader never sees EOF.
func cloexecPipe(_ fds: inout [Int32]) -> Bool {
    fds.withUnsafeMutableBufferPointer { g_unix_open_pipe($0.baseAddress, FD_CLOEXEC, nil) != 0 }
}
