import COSTreeShims
#if canImport(Glibc)
import Glibc
#endif

/// Extended attributes of a path, not following a final symlink (sys/xattr.h, which
/// Swift's Glibc module does not carry).
public enum XAttr {
    /// The attribute names; [] where the filesystem has none.
    public static func names(_ path: String) throws -> [String] {
        let size = llistxattr(path, nil, 0)
        if size < 0 { if errno == ENOTSUP { return [] }; throw GLibError(message: "\(path): \(String(cString: strerror(errno)))") }
        if size == 0 { return [] }
        var buf = [CChar](repeating: 0, count: size)
        let n = llistxattr(path, &buf, size)
        guard n >= 0 else { throw GLibError(message: "\(path): \(String(cString: strerror(errno)))") }
        return buf[0..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    }

    /// The value of `name`, or nil when absent.
    public static func value(_ path: String, _ name: String) -> [UInt8]? {
        let size = lgetxattr(path, name, nil, 0)
        guard size >= 0 else { return nil }
        var buf = [UInt8](repeating: 0, count: size)
        let n = lgetxattr(path, name, &buf, size)
        return n >= 0 ? Array(buf[0..<n]) : nil
    }

    /// Removes `name`.
    public static func remove(_ path: String, _ name: String) throws {
        guard lremovexattr(path, name) == 0 else {
            throw GLibError(message: "\(path): removing \(name): \(String(cString: strerror(errno)))")
        }
    }
}
