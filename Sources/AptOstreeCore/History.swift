import AptOstreeModel
import AptOstreePOSIX
#if canImport(Glibc)
import Glibc
#endif

/// What asked for the change being made (`apt-ostree install htop`, or a daemon transaction's
/// title and caller): the history records it with each deployment. One change runs at a time
/// in a process (the daemon runs one transaction at a time), so one value serves.
public enum Invocation {
    nonisolated(unsafe) public static var description = "apt-ostree"
}

/// Every deployment apt-ostree made, one JSON line each, in the stateroot's
/// /var/lib/apt-ostree/history.jsonl (on the running system /var/lib/apt-ostree): it outlives
/// the deployments themselves. `history` lists it newest first.
public struct History {
    let context: SysrootContext

    public init(context: SysrootContext) { self.context = context }

    func path(osname: String) -> String {
        context.varDirectory(osname: osname) + "/lib/apt-ostree/history.jsonl"
    }

    /// Appends an entry for the new deployment `id` of `checksum`.
    func record(osname: String, id: String, checksum: String, version: String?) throws {
        let file = path(osname: osname)
        try FS.makeDirectories(FS.dirname(of: file))
        var entry: [String: JSONValue] = ["timestamp": .int(Int64(time(nil))), "command": .string(Invocation.description),
                                          "deployment": .string(id), "checksum": .string(checksum), "osname": .string(osname)]
        if let version { entry["version"] = .string(version) }
        let line = JSONValue.object(entry).serialized(pretty: false) + "\n"
        let fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FS.error(file) }
        defer { close(fd) }
        let bytes = Array(line.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw FS.error(file) }
    }

    /// The entries, newest first; lines that do not parse are skipped.
    public func entries() throws -> [JSONValue] {
        let file = path(osname: try context.osname())
        guard FS.kind(file) == .regular else { return [] }
        return try FileText.read(file).split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }.reversed()
    }
}
