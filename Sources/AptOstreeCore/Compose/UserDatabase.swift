import AptOstreeModel
import AptOstreePOSIX
#if canImport(Glibc)
import Glibc
#endif

/// The users and groups of a tree (its /usr/etc/passwd and /usr/etc/group, or /etc's before
/// the move), for naming owners in tmpfiles.d lines and for sysusers.d.
struct UserDatabase {
    struct User { var name: String; var uid: UInt32; var gid: UInt32; var gecos: String; var home: String; var shell: String }
    struct Group { var name: String; var gid: UInt32; var members: [String] }

    var users: [User] = []
    var groups: [Group] = []

    init(users: [User], groups: [Group]) {
        self.users = users
        self.groups = groups
    }

    /// Reads the tree's files; missing files give an empty database.
    init(root: String) throws {
        let etc = FS.kind(root + "/usr/etc") == .directory ? root + "/usr/etc" : root + "/etc"
        if FS.kind(etc + "/passwd") == .regular {
            users = try Self.records(etc + "/passwd", fields: 7).compactMap { f in
                guard let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { return nil }
                return User(name: f[0], uid: uid, gid: gid, gecos: f[4], home: f[5], shell: f[6])
            }
        }
        if FS.kind(etc + "/group") == .regular {
            groups = try Self.records(etc + "/group", fields: 4).compactMap { f in
                guard let gid = UInt32(f[2]) else { return nil }
                return Group(name: f[0], gid: gid, members: f[3].split(separator: ",").map(String.init))
            }
        }
    }

    private static func records(_ path: String, fields: Int) throws -> [[String]] {
        try FileText.read(path).split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            return f.count >= fields && !line.hasPrefix("#") ? f : nil
        }
    }

    func userName(_ uid: UInt32) -> String { users.first { $0.uid == uid }?.name ?? String(uid) }
    func groupName(_ gid: UInt32) -> String { groups.first { $0.gid == gid }?.name ?? String(gid) }

    /// A tmpfiles.d line of `type` for `path` with the owner, group and mode of `st`.
    func tmpfilesLine(_ type: String, _ path: String, _ st: stat) -> String {
        "\(type) \(path) \(String(st.st_mode & 0o7777, radix: 8)) \(userName(st.st_uid)) \(groupName(st.st_gid)) -"
    }

    /// sysusers.d lines: each group with its id, each user with uid:gid, GECOS, home and
    /// shell, then supplementary memberships. root is systemd's own (basic.conf).
    func sysusersLines(memberships: [Group]? = nil) -> [String] {
        func quoted(_ s: String) -> String { s.isEmpty ? "-" : "\"\(s.filter { $0 != "\"" })\"" }
        var lines: [String] = []
        for g in groups where g.gid != 0 { lines.append("g \(g.name) \(g.gid)") }
        for u in users where u.uid != 0 {
            lines.append("u \(u.name) \(u.uid):\(u.gid) \(quoted(u.gecos)) \(u.home.isEmpty ? "-" : u.home) \(u.shell.isEmpty ? "-" : u.shell)")
        }
        for g in memberships ?? groups where g.gid != 0 {
            for m in g.members where users.contains(where: { $0.name == m }) { lines.append("m \(m) \(g.name)") }
        }
        return lines
    }
}
