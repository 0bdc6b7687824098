import AptOstreeModel
#if canImport(Glibc)
import Glibc
#endif

/// `kargs --editor`: the arguments in a temporary file, opened in $VISUAL or $EDITOR (vi).
enum KargsEditor {
    static let header = """
        # Current kernel arguments are shown below, and can be directly edited.
        # Empty or commented lines (starting with '#') will be ignored.
        # Individual kernel arguments should be separated by spaces, and the order
        # is relevant.
        # The 'ostree=' argument is managed by libostree and is not shown.

        """

    /// Returns the edited command line (comments and blank lines dropped, lines joined).
    static func edit(_ current: String) throws -> String {
        let shown = words(current).filter { !$0.hasPrefix("ostree=") }.joined(separator: " ")
        var template = Array("/tmp/apt-ostree-kargs-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw AptOstreeError(.failed, "Creating a temporary file: \(String(cString: strerror(errno)))") }
        close(fd)
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { unlink(path) }
        try writeFile(path, header + shown + "\n")
        let editor = [getenv("VISUAL"), getenv("EDITOR")].compactMap { $0 }.map { String(cString: $0) }
            .first { !$0.isEmpty } ?? "vi"
        let status = try runShell("\(editor) \"$1\"", argument: path)
        guard status == 0 else { throw AptOstreeError(.failed, "Editor '\(editor)' exited with status \(status)") }
        let text = try readFile(path)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: " \t") }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .joined(separator: " ")
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}

/// The whole file as UTF-8 text.
func readFile(_ path: String) throws -> String {
    guard let f = fopen(path, "r") else { throw AptOstreeError(.failed, "\(path): \(String(cString: strerror(errno)))") }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        bytes.append(contentsOf: buf[0..<n])
        if n < buf.count { break }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes `text` to `path`, replacing it.
func writeFile(_ path: String, _ text: String) throws {
    guard let f = fopen(path, "w") else { throw AptOstreeError(.failed, "\(path): \(String(cString: strerror(errno)))") }
    defer { fclose(f) }
    let bytes = Array(text.utf8)
    guard fwrite(bytes, 1, bytes.count, f) == bytes.count else { throw AptOstreeError(.failed, "\(path): short write") }
}

/// Runs `sh -c SCRIPT sh ARGUMENT` on the terminal and returns its exit status.
func runShell(_ script: String, argument: String) throws -> Int32 {
    var pid: pid_t = 0
    let words: [String] = ["sh", "-c", script, "sh", argument]
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let rc = posix_spawnp(&pid, "sh", nil, nil, argv, environ)
    guard rc == 0 else { throw AptOstreeError(.failed, "sh: \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}
