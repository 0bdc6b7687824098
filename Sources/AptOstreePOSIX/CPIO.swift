import AptOstreeModel
#if canImport(Glibc)
import Glibc
#endif

/// Writes cpio archives in the kernel's initramfs format ("newc", SVR4 without checksums):
/// what libostree's overlay initrds are. Each entry is a 110-byte ASCII header, the name and
/// the data, both padded to four bytes; a `TRAILER!!!` entry ends the archive. Times are
/// zero and inodes numbered in order, so the same files give the same bytes.
public struct CPIOWriter {
    private var bytes: [UInt8] = []
    private var inode: UInt32 = 0
    private var written = Set<String>()

    public init() {}

    /// The archive so far, with its trailer.
    public var archive: [UInt8] {
        var copy = self
        copy.entry(name: "TRAILER!!!", mode: 0, uid: 0, gid: 0, data: [])
        return copy.bytes
    }

    /// Adds the file, symlink or folder at `hostPath` as `name` (relative, e.g.
    /// `etc/crypttab`), after the folders leading to it; a folder's content follows it.
    public mutating func add(hostPath: String, as name: String) throws {
        var parent = ""
        for part in name.split(separator: "/").dropLast() {
            parent += (parent.isEmpty ? "" : "/") + part
            if written.insert(parent).inserted { entry(name: parent, mode: S_IFDIR | 0o755, uid: 0, gid: 0, data: []) }
        }
        var st = stat()
        guard lstat(hostPath, &st) == 0 else {
            throw AptOstreeError(.notFound, "\(hostPath): \(String(cString: strerror(errno)))")
        }
        guard written.insert(name).inserted else { return }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            entry(name: name, mode: st.st_mode, uid: st.st_uid, gid: st.st_gid, data: [])
            for child in try FileText.entries(of: hostPath).sorted() {
                try add(hostPath: hostPath + "/" + child, as: name + "/" + child)
            }
        case S_IFLNK:
            entry(name: name, mode: st.st_mode, uid: st.st_uid, gid: st.st_gid, data: Array(try FS.readLink(hostPath).utf8))
        case S_IFREG:
            entry(name: name, mode: st.st_mode, uid: st.st_uid, gid: st.st_gid, data: try Self.read(hostPath))
        default:
            throw AptOstreeError(.invalidArgument, "\(hostPath): only files, folders and symlinks can go into an initramfs overlay")
        }
    }

    private mutating func entry(name: String, mode: mode_t, uid: uid_t, gid: gid_t, data: [UInt8]) {
        inode += 1
        let nameBytes = Array(name.utf8) + [0]
        let fields: [UInt32] = [name == "TRAILER!!!" ? 0 : inode, UInt32(mode), UInt32(uid), UInt32(gid),
                                mode & S_IFMT == S_IFDIR ? 2 : 1, 0, UInt32(data.count), 0, 0, 0, 0, UInt32(nameBytes.count), 0]
        var header = "070701"
        for f in fields {
            let hex = String(f, radix: 16, uppercase: true)
            header += String(repeating: "0", count: 8 - hex.count) + hex
        }
        bytes += Array(header.utf8) + nameBytes
        pad()
        bytes += data
        pad()
    }

    private mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AptOstreeError(.failed, "\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw AptOstreeError(.failed, "\(path): \(String(cString: strerror(errno)))") }
            if n == 0 { return out }
            out += buf[0..<n]
        }
    }
}
