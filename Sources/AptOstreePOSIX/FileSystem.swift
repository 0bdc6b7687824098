#if canImport(Glibc)
import Glibc
#endif
import AptOstreeModel

/// What is at a path, without following a final symlink.
public enum FileKind: Sendable, Equatable {
    case missing, directory, regular, symlink, other
}

/// Filesystem operations over POSIX, each failing with the path and errno's text.
public enum FS {
    /// The kind of thing at `path` (lstat).
    public static func kind(_ path: String) -> FileKind {
        var st = stat()
        guard lstat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regular
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// lstat of `path`.
    public static func lstatOf(_ path: String) throws -> stat {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw error(path) }
        return st
    }

    /// The target of a symlink.
    public static func readLink(_ path: String) throws -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buf, buf.count - 1)
        guard n >= 0 else { throw error(path) }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates `path` and its missing parents with `mode`.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        if kind(path) == .directory { return }
        let parent = dirname(of: path)
        if parent != path && !parent.isEmpty { try makeDirectories(parent, mode: mode) }
        if mkdir(path, mode) != 0 && errno != EEXIST { throw error(path) }
    }

    /// Renames `from` to `to` (same filesystem), replacing a file at `to`.
    public static func move(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else { throw error("\(from) -> \(to)") }
    }

    /// Makes a symlink at `path` pointing to `target`.
    public static func symlink(_ target: String, at path: String) throws {
        guard Glibc.symlink(target, path) == 0 else { throw error(path) }
    }

    /// Removes `path` whatever it is (a folder with all it holds); missing is fine.
    public static func remove(_ path: String) throws {
        switch kind(path) {
        case .missing: return
        case .directory:
            try FileText.removeContents(of: path)
            guard rmdir(path) == 0 else { throw error(path) }
        default:
            guard unlink(path) == 0 else { throw error(path) }
        }
    }

    /// Every path below `root` (not `root` itself), parents before children, names sorted.
    public static func walk(_ root: String) throws -> [String] {
        var out: [String] = []
        for name in try FileText.entries(of: root).sorted() {
            let child = root + "/" + name
            out.append(child)
            if kind(child) == .directory { out += try walk(child) }
        }
        return out
    }

    /// Writes `text` to `path` with `mode`, replacing it atomically (temp file + rename).
    public static func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
        let tmp = path + ".tmp-aot"
        try FileText.write(tmp, text)
        guard chmod(tmp, mode) == 0 else { throw error(tmp) }
        try move(tmp, to: path)
    }

    /// Sets owner and mode of `path`.
    public static func setOwner(_ path: String, uid: uid_t, gid: gid_t, mode: mode_t) throws {
        guard lchown(path, uid, gid) == 0, chmod(path, mode) == 0 else { throw error(path) }
    }

    /// `path` made absolute against the working folder (no symlinks resolved).
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { return path }
        let cwd = String(cString: buf)
        let rel = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return (cwd == "/" ? "" : cwd) + "/" + rel
    }

    /// `path` with `.`, `..` and repeated slashes folded away, without looking at the disk.
    public static func lexicallyNormal(_ path: String) -> String {
        var parts: [Substring] = []
        for c in path.split(separator: "/") where c != "." {
            if c == "..", let last = parts.last, last != ".." { parts.removeLast() }
            else if c == "..", path.hasPrefix("/") { continue }
            else { parts.append(c) }
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// The paths matching a shell glob pattern, sorted; empty when none match.
    public static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }

    /// The folder part of a path (`/a/b` -> `/a`, `b` -> `.`).
    public static func dirname(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component of a path.
    public static func basename(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// An error naming `path` with errno's text.
    public static func error(_ path: String) -> AptOstreeError {
        AptOstreeError(errno == ENOENT ? .notFound : .failed, "\(path): \(String(cString: strerror(errno)))")
    }
}

/// An exclusive flock on a file, taken at init (waiting, with a message, when another
/// process holds it) and released by `release()` or when the process ends.
public final class FileLock {
    private var fd: Int32

    public init(path: String, progress: ProgressSink) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FS.error(path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            progress.message("Waiting for \(path) (another compose uses this cache)")
            while flock(fd, LOCK_EX) != 0 {
                if errno != EINTR { close(fd); throw FS.error(path) }
            }
        }
    }

    public func release() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    deinit { release() }
}
