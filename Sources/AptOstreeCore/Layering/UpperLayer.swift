import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit
#if canImport(Glibc)
import Glibc
#endif

/// An overlayfs upper folder turned into plain content libostree can commit: whiteouts
/// (character devices 0:0) and opaque directories (`trusted.overlay.opaque=y`) are recorded
/// and removed, every `trusted.overlay.*` attribute is stripped, and what the sandbox and
/// dpkg leave behind (mount points, locks, `-old` backups) goes. libostree refuses device
/// nodes before any commit filter runs, which is why this happens on the folder itself.
struct UpperLayer {
    let upper: String
    let lower: String

    struct Cleaned {
        /// Paths (relative, `usr/bin/x`) removed from the base.
        var removals: [String] = []
        /// Directories (relative) whose base content is hidden.
        var opaque: [String] = []
    }

    static let leftovers = [
        "usr/lib/sysimage/dpkg/lock", "usr/lib/sysimage/dpkg/lock-frontend", "usr/lib/sysimage/dpkg/triggers/Lock",
        "usr/lib/sysimage/dpkg/status-old", "usr/lib/sysimage/dpkg/diversions-old", "usr/lib/sysimage/dpkg/statoverride-old",
        "usr/lib/sysimage/dpkg/available-old", "usr/etc/.pwd.lock",
    ]

    func clean() throws -> Cleaned {
        var out = Cleaned()
        for path in try FS.walk(upper) {
            let rel = String(path.dropFirst(upper.count + 1))
            let st = try FS.lstatOf(path)
            if (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0 {
                out.removals.append(rel)
                try FS.remove(path)
                continue
            }
            for name in try withContext("Reading attributes", { try XAttr.names(path) }) where name.hasPrefix("trusted.overlay.") {
                if name == "trusted.overlay.opaque" && FS.kind(path) == .directory && XAttr.value(path, name) == [UInt8(ascii: "y")] {
                    out.opaque.append(rel)
                }
                try withContext("Cleaning the layer") { try XAttr.remove(path, name) }
            }
        }
        for rel in Self.leftovers where FS.kind(upper + "/" + rel) != .missing { try FS.remove(upper + "/" + rel) }
        // bwrap's mount point for /etc (the tree has only /usr/etc).
        if FS.kind(lower + "/etc") == .missing, FS.kind(upper + "/etc") == .directory,
           try FileText.entries(of: upper + "/etc").isEmpty {
            try FS.remove(upper + "/etc")
        }
        return out
    }
}
