import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit

/// The package lists of commits (`db list`, `db diff`, `db version`), from commit metadata
/// (`aptostree.dpkg.pkglist`), else from the dpkg database inside the commit: no checkout.
public struct PackageDatabase {
    let context: SysrootContext

    public init(context: SysrootContext) { self.context = context }

    /// The packages of `revision`: a checksum, a ref, `booted` (the booted, or default,
    /// deployment), `pending` (the default deployment) or `rollback` (the second one).
    public func list(_ revision: String?) throws -> PackageList {
        let repo = try withContext("Opening repo") { try context.sysroot.repo() }
        let checksum = try resolve(revision ?? "booted", repo: repo)
        let commit = try repo.loadCommit(checksum)
        if let packages = commit.packageList {
            return PackageList(checksum: checksum, version: commit.version, packages: packages)
        }
        guard let status = try repo.readFile(commit: checksum, path: "/usr/lib/sysimage/dpkg/status")
                ?? repo.readFile(commit: checksum, path: "/var/lib/dpkg/status") else {
            throw AptOstreeError(.notFound, "Commit \(checksum.prefix(12)) has no package list and no dpkg database")
        }
        return PackageList(checksum: checksum, version: commit.version, packages: Deb822.installedPackages(status: status))
    }

    func resolve(_ revision: String, repo: Repo) throws -> String {
        let os = try context.osname()
        let list = context.deployments(of: os)
        switch revision {
        case "booted":
            guard let d = context.bootedOrDefault else { throw AptOstreeError(.notFound, "No deployments") }
            return d.checksum
        case "pending":
            guard let d = list.first else { throw AptOstreeError(.notFound, "No deployments") }
            return d.checksum
        case "rollback":
            guard list.count > 1 else { throw AptOstreeError(.notFound, "No rollback deployment") }
            return list[1].checksum
        default:
            guard let c = try withContext("Resolving \(revision)", { try repo.resolve(revision, allowMissing: true) }) else {
                throw AptOstreeError(.notFound, "No commit or ref '\(revision)'")
            }
            return c
        }
    }
}

extension PackageLayering {
    /// `search TERM...`: apt-cache search over the cached lists.
    public func search(_ terms: [String]) throws -> [String] {
        let apt = try aptForDeployment()
        guard apt.hasLists else { throw AptOstreeError(.failed, "No package lists yet; run 'apt-ostree refresh-md' first") }
        try apt.writeConfig()
        var lines: [String] = []
        try Subprocess.run(["apt-cache", "search", "--"] + terms, environment: apt.environment) { lines.append($0) }
        return lines.sorted()
    }

    /// `info PKG...`: apt-cache show (the candidate versions) over the cached lists.
    public func info(_ names: [String]) throws -> String {
        let apt = try aptForDeployment()
        guard apt.hasLists else { throw AptOstreeError(.failed, "No package lists yet; run 'apt-ostree refresh-md' first") }
        try apt.writeConfig()
        var lines: [String] = [], missing: [String] = []
        let status = try Subprocess.run(["apt-cache", "show", "--no-all-versions", "--"] + names, environment: apt.environment,
                                        allowFailure: true) { line in
            if line.hasPrefix("N: Unable to locate package ") { missing.append(String(line.dropFirst(28))) }
            else if !line.hasPrefix("E: ") && !line.hasPrefix("N: ") { lines.append(line) }
        }
        if !missing.isEmpty || (status != 0 && lines.isEmpty) {
            throw AptOstreeError(.notFound, "Packages not found: \((missing.isEmpty ? names : missing).joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}

extension Commit {
    /// The installed packages listed in the commit's metadata (`aptostree.dpkg.pkglist`).
    public var packageList: [InstalledPackage]? {
        metadataStringTriples(ComposeTree.MetaKey.packageList)?.map { InstalledPackage(name: $0[0], version: $0[1], architecture: $0[2]) }
    }

    /// A package list kept under `key` (`a(sss)`); empty when there is none.
    func packages(_ key: String) -> [InstalledPackage] {
        metadataStringTriples(key)?.map { InstalledPackage(name: $0[0], version: $0[1], architecture: $0[2]) } ?? []
    }
}

extension MetadataValue {
    /// A package list as commit metadata (`a(sss)`).
    static func packageList(_ list: [InstalledPackage]) -> MetadataValue {
        .stringTriples(list.map { [$0.name, $0.version, $0.architecture] })
    }
}
