import AptOstreeModel
import AptOstreePOSIX
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
        try FileText.write(path, header + shown + "\n")
        let editor = [getenv("VISUAL"), getenv("EDITOR")].compactMap { $0 }.map { String(cString: $0) }
            .first { !$0.isEmpty } ?? "vi"
        let status = try FileText.runShell("\(editor) \"$1\"", argument: path)
        guard status == 0 else { throw AptOstreeError(.failed, "Editor '\(editor)' exited with status \(status)") }
        let text = try FileText.read(path)
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
