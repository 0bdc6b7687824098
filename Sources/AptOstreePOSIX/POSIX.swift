#if canImport(Glibc)
import Glibc
#endif
import AptOstreeModel

/// Runs a program and waits for it: the one place apt-ostree starts processes, so argv is
/// always in the error when one fails.
public enum Subprocess {
    /// Runs `argv` (looked up on PATH) with the terminal's stdin/stdout/stderr (an editor,
    /// systemctl); returns the exit status, 128+N for signal N.
    @discardableResult
    public static func runInteractive(_ argv: [String]) throws -> Int32 {
        var pid: pid_t = 0
        let cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        let rc = withCleanSpawnAttributes { posix_spawnp(&pid, argv[0], nil, &$0, cargs, environ) }
        guard rc == 0 else {
            throw AptOstreeError(.failed, "\(argv.joined(separator: " ")): \(String(cString: strerror(rc)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { throw AptOstreeError(.failed, "waitpid: \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED / WEXITSTATUS, written out: Swift cannot import the macros.
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}

/// Small file helpers over POSIX (Foundation stays off the start-up path of both binaries).
public enum FileText {
    /// The whole file as UTF-8 text.
    public static func read(_ path: String) throws -> String {
        guard let f = fopen(path, "r") else {
            throw AptOstreeError(.notFound, "\(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n > 0 { bytes.append(contentsOf: buf[0..<n]) }
            if n < buf.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `text` to `path`, replacing it.
    public static func write(_ path: String, _ text: String) throws {
        guard let f = fopen(path, "w") else {
            throw AptOstreeError(.failed, "\(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        let bytes = Array(text.utf8)
        if fwrite(bytes, 1, bytes.count, f) != bytes.count {
            throw AptOstreeError(.failed, "\(path): short write")
        }
    }

    /// Runs `sh -c SCRIPT sh ARGUMENT` on the terminal; returns its exit status.
    public static func runShell(_ script: String, argument: String) throws -> Int32 {
        try Subprocess.runInteractive(["sh", "-c", script, "sh", argument])
    }

    /// The names in folder `path` (without `.` and `..`); [] when it does not exist.
    public static func entries(of path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw AptOstreeError(.failed, "\(path): \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes everything inside `path` (not `path` itself); a missing folder is fine.
    public static func removeContents(of path: String) throws {
        for name in try entries(of: path) {
            let child = path + "/" + name
            var st = stat()
            guard lstat(child, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                try removeContents(of: child)
                if rmdir(child) != 0 { throw AptOstreeError(.failed, "\(child): \(String(cString: strerror(errno)))") }
            } else if unlink(child) != 0 {
                throw AptOstreeError(.failed, "\(child): \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// Writes `text` to standard error (fd 2) in one call.
public func writeStandardError(_ text: String) {
    let bytes = Array(text.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { write(2, $0.baseAddress! + off, $0.count - off) }
        if n <= 0 { break }
        off += n
    }
}

/// Calls `body` with spawn attributes that give the child an empty signal mask and default
/// handlers. Callers may run on threads that block signals (Dispatch's workers, the daemon's
/// transactions); a child that inherited that mask would ignore SIGTERM for good.
public func withCleanSpawnAttributes<R>(_ body: (inout posix_spawnattr_t) -> R) -> R {
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var empty = sigset_t(), defaults = sigset_t()
    sigemptyset(&empty)
    sigfillset(&defaults)
    posix_spawnattr_setsigmask(&attr, &empty)
    posix_spawnattr_setsigdefault(&attr, &defaults)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    return body(&attr)
}

extension Subprocess {
    /// Runs `argv` with stdin from /dev/null and stdout and stderr merged into a pipe, giving
    /// each output line to `onLine` as it arrives. Fails when the program cannot start or
    /// exits non-zero, with argv's first word, the status and the last lines of its output.
    /// `environment` entries (`NAME=VALUE`) are added to this process's environment.
    @discardableResult
    public static func run(_ argv: [String], environment: [String] = [], tailLines: Int = 5,
                           allowFailure: Bool = false, onLine: (String) -> Void = { _ in }) throws -> Int32 {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw AptOstreeError(.failed, "pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        var env: [String] = []
        var i = 0
        while let e = environ[i] { env.append(String(cString: e)); i += 1 }
        let names = Set(environment.map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0 })
        env = env.filter { !names.contains($0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0) } + environment
        let cargs = argv.map { strdup($0) } + [nil]
        let cenv = env.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) }; cenv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = withCleanSpawnAttributes { posix_spawnp(&pid, argv[0], &actions, &$0, cargs, cenv) }
        close(fds[1])
        defer { close(fds[0]) }
        guard rc == 0 else { throw AptOstreeError(.failed, "\(argv[0]): \(String(cString: strerror(rc)))") }

        var tail: [String] = []
        var pending: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 16384)
        func emit(_ bytes: ArraySlice<UInt8>) {
            let line = String(decoding: bytes, as: UTF8.self)
            tail.append(line)
            if tail.count > tailLines { tail.removeFirst() }
            onLine(line)
        }
        while true {
            let n = read(fds[0], &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending += buf[0..<n]
            while let nl = pending.firstIndex(of: 10) {
                emit(pending[..<nl])
                pending.removeSubrange(...nl)
            }
        }
        if !pending.isEmpty { emit(pending[...]) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { throw AptOstreeError(.failed, "waitpid: \(String(cString: strerror(errno)))") }
        }
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        if code != 0 && Interruption.requested != 0 { throw AptOstreeError(.cancelled, "Cancelled") }
        guard code == 0 || allowFailure else {
            let detail = tail.filter { !$0.isEmpty }.joined(separator: " | ")
            throw AptOstreeError(.failed, "\(argv[0]) exited with status \(code)\(detail.isEmpty ? "" : ": " + detail)")
        }
        return code
    }
}
