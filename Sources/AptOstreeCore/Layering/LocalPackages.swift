import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit

/// Local .deb files for `install ./foo.deb`: checked, then kept in the repo as a tiny commit
/// (ref `aptostree/local/SHA256`) so every later deployment can install them again; the
/// origin names them `SHA256:NAME` (`[packages] requested-local=`).
struct LocalPackages {
    static let refPrefix = "aptostree/local/"
    let repo: Repo
    let repoPath: String

    /// A checked local package.
    struct Deb {
        var path: String
        var name: String
        var version: String
        var architecture: String
        var sha256: String
        var originEntry: String { "\(sha256):\(name)" }
        var fileName: String { "\(name)_\(version.replacingColons)_\(architecture).deb" }
    }

    /// Reads the control fields of `path` and checks its content; errors name the file.
    static func inspect(_ path: String) throws -> Deb {
        guard FS.kind(path) == .regular else { throw AptOstreeError(.notFound, "\(path): no such file") }
        var fields: [String] = [], errors: [String] = []
        let status = try Subprocess.run(["dpkg-deb", "--showformat=${Package}\\n${Version}\\n${Architecture}\\n", "--show", path],
                                        allowFailure: true) { line in
            if line.hasPrefix("dpkg-deb: ") { errors.append(String(line.dropFirst(10))) } else { fields.append(line) }
        }
        guard status == 0, fields.count >= 3, !fields[0].isEmpty else {
            throw AptOstreeError(.invalidArgument, "\(path) is not a valid .deb: \(errors.first ?? "dpkg-deb could not read it")")
        }
        try checkContents(path, name: fields[0])
        return Deb(path: path, name: fields[0], version: fields[1], architecture: fields[2], sha256: try sha256File(path))
    }

    /// Refuses data archives whose paths leave the tree (`..`, absolute) or reach through a
    /// symlink of the same package: dpkg runs sandboxed, but the layer must not carry them.
    static func checkContents(_ path: String, name: String) throws {
        var entries: [(path: String, isLink: Bool)] = [], failed = false
        let status = try Subprocess.run(["sh", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -tvf -", "sh", path], allowFailure: true) { line in
            // "lrwxrwxrwx root/root 0 2024-01-01 00:00 ./usr/bin/x -> target"
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 6 else { failed = true; return }
            let isLink = line.hasPrefix("l")
            var p = f[5...].joined(separator: " ")
            if isLink, let arrow = p.range(of: " -> ") { p = String(p[..<arrow.lowerBound]) }
            entries.append((p, isLink))
        }
        guard status == 0, !failed else { throw AptOstreeError(.invalidArgument, "\(path) is not a valid .deb: its data archive cannot be read") }
        let links = Set(entries.filter(\.isLink).map { normalized($0.path) })
        for e in entries {
            let parts = e.path.split(separator: "/").map(String.init)
            if e.path.hasPrefix("/") || parts.contains("..") {
                throw AptOstreeError(.invalidArgument, "Package \(name) (\(path)): unsafe path '\(e.path)' in its data")
            }
            let n = normalized(e.path)
            var prefix = ""
            for part in n.split(separator: "/").dropLast() {
                prefix += (prefix.isEmpty ? "" : "/") + part
                if links.contains(prefix) {
                    throw AptOstreeError(.invalidArgument, "Package \(name) (\(path)): '\(e.path)' goes through its own symlink '\(prefix)'")
                }
            }
        }
    }

    static func normalized(_ p: String) -> String {
        p.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    /// The SHA-256 of a file's bytes.
    static func sha256File(_ path: String) throws -> String {
        var sum = ""
        try Subprocess.run(["sha256sum", "--", path]) { sum = String($0.prefix(64)) }
        guard sum.count == 64 else { throw AptOstreeError(.failed, "sha256sum \(path) printed nothing") }
        return sum
    }

    /// The package name of an origin entry (`SHA256:NAME`).
    static func name(ofEntry entry: String) -> String {
        String(entry.drop(while: { $0 != ":" }).dropFirst())
    }

    /// The SHA-256 of an origin entry (`SHA256:NAME`).
    static func sha256(ofEntry entry: String) -> String {
        String(entry.prefix(while: { $0 != ":" }))
    }

    /// Keeps `deb` in the repo (idempotent).
    func store(_ deb: Deb, scratch: String) throws {
        if try repo.resolve(Self.refPrefix + deb.sha256, allowMissing: true) != nil { return }
        let dir = scratch + "/store-" + deb.sha256
        try FS.makeDirectories(dir)
        try Subprocess.run(["cp", deb.path, dir + "/" + deb.fileName])
        _ = try withContext("Keeping \(deb.fileName) in the repo") {
            try repo.writeCommit(directory: dir, parent: nil, subject: "apt-ostree local package \(deb.fileName)",
                                 metadata: ["aptostree.local.name": .string(deb.name), "aptostree.local.version": .string(deb.version)],
                                 ref: Self.refPrefix + deb.sha256, timestamp: 0)
        }
    }

    /// Checks the kept package of an origin entry (`SHA256:NAME`) out into `scratch`;
    /// returns its path.
    func retrieve(_ entry: String, scratch: String) throws -> String {
        let sha = Self.sha256(ofEntry: entry)
        guard let commit = try repo.resolve(Self.refPrefix + sha, allowMissing: true) else {
            throw AptOstreeError(.notFound, "The local package \(entry) is no longer in the repo")
        }
        let dir = scratch + "/local-" + sha
        try withContext("Checking out local package \(entry)") { try repo.checkoutHardlinked(commit, to: dir) }
        guard let file = try FileText.entries(of: dir).first(where: { $0.hasSuffix(".deb") }) else {
            throw AptOstreeError(.failed, "The local package \(entry) holds no .deb")
        }
        return dir + "/" + file
    }
}
