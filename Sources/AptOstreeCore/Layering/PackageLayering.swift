import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit
#if canImport(Glibc)
import Glibc
#endif

/// `install` and `uninstall`: a new deployment whose tree is the base commit plus the
/// requested packages. The request lives in the origin (`[packages] requested=`), so every
/// later deployment re-applies it onto its base. Layers are content addressed: the same
/// base and the same resolved package set reuse the commit made before (ref
/// `aptostree/layer/KEY`), so no dpkg runs twice for the same result.
public struct PackageLayering {
    /// Bumped when the layer a request produces changes.
    static let formatVersion = "1"
    /// Where reusable layer commits are kept.
    public static let layerRefPrefix = "aptostree/layer/"

    let context: SysrootContext
    let progress: ProgressSink

    public init(context: SysrootContext, progress: ProgressSink) {
        self.context = context
        self.progress = progress
    }

    /// What a change did.
    public struct Result: Sendable, Equatable {
        /// A new deployment was written.
        public var deployed: Bool
    }

    public func run(_ request: PackageChangeRequest) throws -> Result {
        try context.withLock(progress: progress) { try runLocked(request) }
    }

    func runLocked(_ request: PackageChangeRequest) throws -> Result {
        let osname = try context.osname()
        let src = try context.sourceDeployment(of: osname)
        let repo = try withContext("Opening repo") { try context.sysroot.repo() }
        let commit = try repo.loadCommit(src.checksum)
        let base = SysrootContext.baseChecksum(of: commit)
        let baseCommit = try repo.loadCommit(base)
        let basePackages = Set((baseCommit.packageList ?? []).map(\.name))
        var origin = src.origin.map(OriginCodec.decode) ?? Origin()

        // The new request set, checked the way rpm-ostree checks it.
        var requested = origin.requestedPackages
        var requestedLocal = origin.requestedLocalPackages
        var newLocal: [LocalPackages.Deb] = []
        for name in request.uninstall {
            if let i = requested.firstIndex(of: name) {
                requested.remove(at: i)
            } else if let i = requestedLocal.firstIndex(where: { LocalPackages.name(ofEntry: $0) == name }) {
                requestedLocal.remove(at: i)
            } else if basePackages.contains(name) {
                throw AptOstreeError(.invalidArgument, "Package '\(name)' is in the base, not layered; use 'apt-ostree override remove \(name)' to take it out of the base")
            } else if !request.idempotent {
                throw AptOstreeError(.notFound, "Package '\(name)' is not layered")
            }
        }
        for name in request.install {
            if name.hasSuffix(".deb") || name.contains("/") {
                let deb = try LocalPackages.inspect(FS.absolute(name))
                if requestedLocal.contains(deb.originEntry) || newLocal.contains(where: { $0.sha256 == deb.sha256 }) {
                    if request.idempotent { continue }
                    throw AptOstreeError(.invalidArgument, "Package '\(deb.name)' (\(name)) is already requested")
                }
                if requested.contains(deb.name) || requestedLocal.contains(where: { LocalPackages.name(ofEntry: $0) == deb.name }) {
                    throw AptOstreeError(.invalidArgument, "Package '\(deb.name)' is already requested from another source")
                }
                newLocal.append(deb)
                requestedLocal.append(deb.originEntry)
                continue
            }
            guard Treefile.isPackageName(name) else { throw AptOstreeError(.invalidArgument, "'\(name)' is not a Debian package name") }
            if requested.contains(name) {
                if request.idempotent { continue }
                throw AptOstreeError(.invalidArgument, "Package '\(name)' is already requested")
            }
            if basePackages.contains(name) && !request.allowInactive {
                throw AptOstreeError(.invalidArgument, "Package '\(name)' is already in the base; use --allow-inactive to request it anyway")
            }
            requested.append(name)
        }
        // Overrides of base packages (rpm-ostree's `override`), checked against the base.
        var removals = origin.overrideRemove
        var replaceLocal = origin.overrideReplaceLocal
        let scratch = try makeTemporaryDirectory(under: context.varDirectory(osname: osname) + "/tmp")
        defer { try? FS.remove(scratch) }
        if request.changesOverrides {
            let baseList = Dictionary((baseCommit.packageList ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            func overrideOf(_ name: String) -> String? {
                if removals.contains(name) { return "removed" }
                return replaceLocal.contains { LocalPackages.name(ofEntry: $0) == name } ? "replaced" : nil
            }
            if request.overrideResetAll {
                removals = []
                replaceLocal = []
            }
            for name in request.overrideReset {
                let before = removals.count + replaceLocal.count
                removals.removeAll { $0 == name }
                replaceLocal.removeAll { LocalPackages.name(ofEntry: $0) == name }
                if before == removals.count + replaceLocal.count && !request.idempotent && !request.overrideResetAll {
                    throw AptOstreeError(.notFound, "No override for package '\(name)'")
                }
            }
            if !request.overrideRemove.isEmpty {
                let fields = try baseStatusFields(base: base, repo: repo)
                for name in request.overrideRemove {
                    guard Treefile.isPackageName(name) else { throw AptOstreeError(.invalidArgument, "'\(name)' is not a Debian package name") }
                    guard baseList[name] != nil else {
                        throw AptOstreeError(.notFound, "Package '\(name)' is not in the base" + (requested.contains(name) ? "; it is layered: use 'apt-ostree uninstall \(name)'" : ""))
                    }
                    if let kind = overrideOf(name) {
                        if kind == "removed" && request.idempotent { continue }
                        throw AptOstreeError(.invalidArgument, "Package '\(name)' is already \(kind) by an override; use 'apt-ostree override reset \(name)' first")
                    }
                    if let f = fields[name], f["Essential"] == "yes" || f["Protected"] == "yes" {
                        throw AptOstreeError(.invalidArgument, "Package '\(name)' is \(f["Essential"] == "yes" ? "essential" : "protected") in the base; apt-ostree does not remove it")
                    }
                    removals.append(name)
                }
            }
            for arg in request.overrideReplace {
                let deb: LocalPackages.Deb
                if arg.hasSuffix(".deb") || arg.contains("/") {
                    deb = try LocalPackages.inspect(FS.absolute(arg))
                } else if let eq = arg.firstIndex(of: "="), Treefile.isPackageName(String(arg[..<eq])), arg.index(after: eq) < arg.endIndex {
                    // rpm-ostree's "freeze": that exact version is fetched now and kept like a local package.
                    let apt = try aptFor(src: src, base: base, repo: repo)
                    if !request.cacheOnly { try apt.updateIfStale(progress: progress) }
                    let path = try apt.download(name: String(arg[..<eq]), version: String(arg[arg.index(after: eq)...]),
                                                into: scratch, progress: progress)
                    deb = try LocalPackages.inspect(path)
                } else {
                    throw AptOstreeError(.invalidArgument, "'\(arg)' is neither a .deb file nor NAME=VERSION")
                }
                guard let old = baseList[deb.name] else {
                    throw AptOstreeError(.notFound, "Package '\(deb.name)' is not in the base; use 'apt-ostree install \(arg)' to add it")
                }
                if replaceLocal.contains(deb.originEntry) && request.idempotent { continue }
                if let kind = overrideOf(deb.name) {
                    throw AptOstreeError(.invalidArgument, "Package '\(deb.name)' is already \(kind) by an override; use 'apt-ostree override reset \(deb.name)' first")
                }
                if old.version == deb.version && old.architecture == deb.architecture {
                    throw AptOstreeError(.invalidArgument, "Package '\(deb.name)' is already at version \(deb.version) in the base")
                }
                newLocal.append(deb)
                replaceLocal.append(deb.originEntry)
            }
        }
        if requested == origin.requestedPackages && requestedLocal == origin.requestedLocalPackages
            && removals == origin.overrideRemove && replaceLocal == origin.overrideReplaceLocal {
            progress.message("No changes.")
            return Result(deployed: false)
        }
        origin.requestedPackages = requested
        origin.requestedLocalPackages = requestedLocal
        origin.overrideRemove = removals
        origin.overrideReplaceLocal = replaceLocal
        let result = try deploy(src: src, osname: osname, base: base, origin: origin, newLocal: newLocal, options: request, repo: repo)
        if result.deployed && !request.uninstall.isEmpty && requested.isEmpty && requestedLocal.isEmpty { progress.message("No layered packages left.") }
        return result
    }

    /// Deploys `base` with the packages `origin` requests layered on it and its overrides
    /// applied (none: the base itself), and `origin` as the new deployment's origin. The one
    /// path install, uninstall, override, upgrade, rebase and reset take. `options` gives
    /// dry-run, download-only and cache-only.
    func deploy(src: Deployment, osname: String, base: String, origin: Origin, newLocal: [LocalPackages.Deb],
                options request: PackageChangeRequest, repo: Repo) throws -> Result {
        let requested = origin.requestedPackages, requestedLocal = origin.requestedLocalPackages
        let scratch = try makeTemporaryDirectory(under: context.varDirectory(osname: osname) + "/tmp")
        defer { try? FS.remove(scratch) }
        var checksum = base
        // Refs this change adds; a failed deployment takes them back (refs stay as they were).
        var newRefs: [String] = []
        let store = LocalPackages(repo: repo, repoPath: repoPath)
        if origin.hasLayering || origin.regenerateInitramfs {
            var resolution = DeploymentApt.Resolution()
            var removals: [String] = [], replaced = Set<String>()
            if origin.hasLayering {
                // Removals of packages this base no longer has are inactive (kept in the origin).
                let baseNames = Set((try repo.loadCommit(base).packageList ?? []).map(\.name))
                removals = origin.overrideRemove.filter(baseNames.contains)
                let apt = try aptFor(src: src, base: base, repo: repo)
                // Local packages (layered and replacements): the new ones from where they are,
                // the earlier ones from the repo.
                var localPaths: [String: String] = [:]
                for entry in requestedLocal + origin.overrideReplaceLocal {
                    if let deb = newLocal.first(where: { $0.originEntry == entry }) {
                        localPaths[deb.name] = deb.path
                    } else {
                        localPaths[LocalPackages.name(ofEntry: entry)] = try store.retrieve(entry, scratch: scratch)
                    }
                }
                replaced = Set(origin.overrideReplaceLocal.map(LocalPackages.name(ofEntry:)))
                if !request.cacheOnly {
                    try apt.updateIfStale(progress: progress)
                } else if !apt.hasLists {
                    throw AptOstreeError(.failed, "--cache-only: no package lists in \(apt.cache); run 'apt-ostree refresh-md' first")
                }
                let aptArguments = requested + localPaths.values.sorted() + removals.map { $0 + "-" }

                if request.dryRun {
                    resolution = try withContext("Resolving") { try apt.plan(aptArguments) }
                } else {
                    resolution = try withContext("Resolving") {
                        try apt.planAndDownload(aptArguments, localDebs: localPaths, progress: progress)
                    }
                    try Failpoint.hit("download.after")
                }
                // apt may remove only what was asked: anything else is a base package the change would break.
                let extra = resolution.removed.filter { !removals.contains($0) }
                if !extra.isEmpty {
                    throw AptOstreeError(.conflict, "This change would also remove base package\(extra.count == 1 ? "" : "s") \(extra.joined(separator: ", ")); "
                                         + "name \(extra.count == 1 ? "it" : "them") in 'apt-ostree override remove' to go ahead")
                }
                let count = requested.count + requestedLocal.count
                if count > 0 { progress.message("Resolved \(count) requested package\(count == 1 ? "" : "s") to \(resolution.planned.count) to install") }
                for p in resolution.planned { progress.message("  \(p.name) \(p.version)" + (replaced.contains(p.name) ? " (replacing the base's)" : "")) }
                for name in removals { progress.message("  removing \(name)") }
                if request.dryRun {
                    progress.message("Exiting because of '--dry-run' option")
                    return Result(deployed: false)
                }
                if request.downloadOnly {
                    progress.message("Exiting because of '--download-only' option")
                    return Result(deployed: false)
                }
            } else if request.dryRun || request.downloadOnly {
                return Result(deployed: false)
            }
            try progress.checkpoint()
            let key = sha256Hex(([Self.formatVersion, base] + resolution.planned.map { "\($0.name)=\($0.version)=\($0.architecture)" }.sorted()
                                 + ["requested"] + requested.sorted() + ["local"] + requestedLocal.sorted()
                                 + ["remove"] + removals.sorted() + ["replace"] + origin.overrideReplaceLocal.sorted()).joined(separator: "\n"))
            // A regenerated initramfs reads the machine's /etc, which no key captures: made anew each time.
            let initramfs = origin.regenerateInitramfs
                ? InitramfsRegeneration(etc: context.etcRoot(of: osname, fallback: src) + "/etc", args: origin.initramfsArgs) : nil
            if initramfs == nil, let cached = try repo.resolve(Self.layerRefPrefix + key, allowMissing: true) {
                progress.message("Reusing layer \(cached.prefix(12)) (same base and packages)")
                checksum = cached
            } else {
                let names = requested + requestedLocal.map(LocalPackages.name(ofEntry:))
                let baseDeployment = context.sysroot.deployments.first { $0.checksum == base }.map(deploymentPath)
                checksum = try LayerBuilder(repo: repo, repoPath: repoPath, progress: progress)
                    .build(base: base, baseDeployment: baseDeployment, debs: resolution.debs, removals: removals,
                           replacing: replaced, requested: names, initramfs: initramfs)
                if initramfs == nil {
                    newRefs.append(Self.layerRefPrefix + key)
                    try repo.setRef(Self.layerRefPrefix + key, to: checksum)
                }
            }
            for deb in newLocal where try repo.resolve(LocalPackages.refPrefix + deb.sha256, allowMissing: true) == nil {
                try store.store(deb, scratch: scratch)
                newRefs.append(LocalPackages.refPrefix + deb.sha256)
            }
        } else if request.dryRun || request.downloadOnly {
            return Result(deployed: false)
        }

        do {
            try Failpoint.hit("layer.after-commit")
            _ = try DeploymentWriter(context: context, progress: progress).write(
                osname: osname, revision: checksum, origin: origin, originBase: src.origin, kernelArgs: nil)
        } catch {
            for ref in newRefs { try? repo.setRef(ref, to: nil) }
            throw error
        }
        let all = requested + requestedLocal.map(LocalPackages.name(ofEntry:))
        if !all.isEmpty { progress.message("Layered: \(all.joined(separator: ", "))") }
        return Result(deployed: true)
    }

    /// Deploys the base `src` stands on again with `origin` (what reset, initramfs and
    /// initramfs-etc change): layered packages and overrides re-applied through `deploy`.
    func redeployBase(of src: Deployment, osname: String, origin: Origin, repo: Repo) throws -> Bool {
        let base = SysrootContext.baseChecksum(of: try repo.loadCommit(src.checksum))
        return try deploy(src: src, osname: osname, base: base, origin: origin, newLocal: [], options: PackageChangeRequest(), repo: repo).deployed
    }

    /// The dpkg status stanzas of the base's installed packages, by name.
    func baseStatusFields(base: String, repo: Repo) throws -> [String: [String: String]] {
        guard let status = try repo.readFile(commit: base, path: "/usr/lib/sysimage/dpkg/status") else { return [:] }
        var out: [String: [String: String]] = [:]
        for stanza in Deb822.parse(status) {
            if let name = stanza["Package"], stanza["Status"]?.hasSuffix(" installed") == true { out[name] = stanza }
        }
        return out
    }

    var repoPath: String { context.repoPath }

    func deploymentPath(_ d: Deployment) -> String { context.deploymentPath(d) }

    /// apt for layering onto `base`: the machine's sources (the deployment's /etc/apt), the
    /// base's dpkg status (read from the repo once per base, kept in the cache), the
    /// stateroot's cache.
    func aptFor(src: Deployment, base: String, repo: Repo) throws -> DeploymentApt {
        guard let status = try repo.readFile(commit: base, path: "/usr/lib/sysimage/dpkg/status") else {
            throw AptOstreeError(.failed, "The base \(base.prefix(12)) has no dpkg database (/usr/lib/sysimage/dpkg/status); it was not composed for apt-ostree")
        }
        // Kept per base in the cache: an unchanged file (and mtime) lets apt reuse its binary cache.
        let cache = context.varDirectory(osname: src.osname) + "/cache/apt-ostree"
        let bases = cache + "/bases/" + base
        if FS.kind(bases + "/status") != .regular {
            try FS.makeDirectories(bases)
            try FS.writeFile(bases + "/extended_states", try repo.readFile(commit: base, path: "/usr/lib/sysimage/apt/extended_states") ?? "")
            try FS.writeFile(bases + "/status", status)
        }
        let arch = Deb822.parse(status).first { $0["Package"] == "dpkg" }?["Architecture"] ?? "amd64"
        return DeploymentApt(etcApt: context.etcRoot(of: src.osname, fallback: src) + "/etc/apt", status: bases + "/status",
                             extendedStates: bases + "/extended_states", cache: cache, architecture: arch)
    }
}
