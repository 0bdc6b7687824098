import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit

/// `upgrade`, `rebase` and `reset`: a new base (pulled through libostree when the refspec
/// names a remote), the origin's layered packages applied onto it again by the same path as
/// `install`, deployed with the merge deployment's kernel arguments.
public struct Upgrade {
    let context: SysrootContext
    let progress: ProgressSink

    public init(context: SysrootContext, progress: ProgressSink) {
        self.context = context
        self.progress = progress
    }

    /// What an upgrade found and did.
    public struct Result: Sendable, Equatable {
        /// A new deployment was written.
        public var deployed: Bool
        /// A newer base exists (for --check and --preview).
        public var available: Bool
        /// The newer base, as the cached update `status` shows (nil when none).
        public var update: JSONValue? = nil
    }

    /// `upgrade`, or `rebase` to `refspec` when given (`remote:ref`, or `ref` keeping the
    /// current remote).
    public func run(_ request: UpgradeRequest) throws -> Result {
        try context.withLock(progress: progress) {
            let osname = try context.osname()
            let src = try context.sourceDeployment(of: osname)
            let repo = try withContext("Opening repo") { try context.sysroot.repo() }
            var origin = src.origin.map(OriginCodec.decode) ?? Origin()
            guard let current = origin.refspec else {
                throw AptOstreeError(.invalidArgument, "The deployment's origin has no refspec to upgrade from")
            }
            let commit = try repo.loadCommit(src.checksum)
            let currentBase = SysrootContext.baseChecksum(of: commit)
            let refspec = try request.rebase.map { try Self.rebaseTarget($0, from: current) } ?? current
            let (remote, ref) = Self.split(refspec)
            if let remote, !repo.remoteList().contains(remote) {
                throw AptOstreeError(.notFound, "Remote '\(remote)' not found (see 'apt-ostree remote list')")
            }

            // Fetch: only commit objects for --check and --preview.
            let metadataOnly = request.check || request.preview
            func pull(commitOnly: Bool, depth: Int32 = 0, commit: String? = nil) throws {
                guard let remote else { return }
                // After --check the remote ref names a commit held only as metadata; without a
                // summary libostree then asks for no delta. Point it back at the base we hold
                // whole, so a delta from it is found.
                if !commitOnly, let head = try repo.resolve(refspec, allowMissing: true), head != currentBase,
                   try repo.commitIsPartial(head), try repo.loadCommitIfPresent(currentBase) != nil,
                   try !repo.commitIsPartial(currentBase), Self.split(current).remote == remote, Self.split(current).ref == ref {
                    try repo.setRemoteRef(remote: remote, ref, to: currentBase)
                }
                let midPull = DeferredFailpoint("pull.mid")
                try withContext("Pulling \(refspec)") {
                    try repo.pull(remote: remote, refs: [ref], commitOnly: commitOnly, depth: depth, commit: commit, progress: { p in
                        if let pct = p.percent { self.progress.percent("  " + p.text, pct) } else { self.progress.message("  " + p.text) }
                        if !commitOnly { midPull.reach() }
                    }, isCancelled: { midPull.shouldStop || (try? self.progress.checkpoint()) == nil })
                }
                try midPull.raise()
                if !commitOnly { try Failpoint.hit("pull.after") }
            }
            let newBase: String
            if let revision = request.revision {
                // deploy REVISION: a checksum is fetched as is; a version is looked up in the
                // ref's history (commit objects only), then that commit is fetched.
                if remote != nil && !request.cacheOnly {
                    progress.message("Fetching \(revision) of \(refspec)")
                    if DeployRevision.isChecksum(revision) {
                        try pull(commitOnly: metadataOnly, commit: revision)
                    } else {
                        try pull(commitOnly: true, depth: -1)
                    }
                }
                newBase = try withContext("Resolving '\(revision)' in \(refspec)") {
                    try DeployRevision.resolve(revision, refspec: refspec, repo: repo).checksum
                }
                if remote != nil && !request.cacheOnly && !metadataOnly && !DeployRevision.isChecksum(revision) {
                    try pull(commitOnly: false, commit: newBase)
                }
            } else {
                if remote != nil && !request.cacheOnly {
                    progress.message(metadataOnly ? "Checking \(refspec) for updates" : "Pulling \(refspec)")
                    try pull(commitOnly: metadataOnly)
                }
                guard let head = try withContext("Resolving \(refspec)", { try repo.resolve(refspec, allowMissing: true) }) else {
                    throw AptOstreeError(.notFound, "No ref \(refspec) in the repo" + (remote == nil ? "" : " after pulling from \(remote!)"))
                }
                newBase = head
            }
            let newCommit = try repo.loadCommit(newBase)
            // The pin: deploy REVISION sets it, upgrade and a plain rebase clear it.
            let pin = request.revision == nil ? nil : newBase
            let changed = newBase != currentBase || request.rebase != nil || origin.overrideCommit != pin
            // A plain upgrade remembers what it found: the cached update `status` shows.
            let remembers = request.rebase == nil && request.revision == nil
            let state = UpdateStateFile(context: context)
            if !changed {
                if remembers { try state.set("cached-update", nil, osname: osname) }
                progress.message(request.revision == nil ? "No upgrade available." : "No change.")
                return Result(deployed: false, available: false)
            }
            if request.rebase == nil, request.revision == nil, !request.allowDowngrade, let old = try repo.loadCommitIfPresent(currentBase),
               newCommit.timestamp < old.timestamp {
                throw AptOstreeError(.invalidArgument, "Upgrade target \(newBase.prefix(12)) is older than the current base \(currentBase.prefix(12)); use --allow-downgrade")
            }
            let update = try Self.cachedUpdate(osname: osname, refspec: refspec, checksum: newBase, commit: newCommit,
                                               from: repo.loadCommitIfPresent(currentBase))
            if remembers { try state.set("cached-update", update, osname: osname) }
            if metadataOnly {
                progress.message("Update available: " + (newCommit.version.map { "\($0) " } ?? "") + "(\(newBase))")
                if request.preview, let from = try repo.loadCommitIfPresent(currentBase)?.packageList, let to = newCommit.packageList {
                    let diff = PackageDiff(from: from, to: to)
                    progress.message("  Diff: \(diff.summary)")
                    for c in diff.upgraded { progress.message("    \(c.to.name) \(c.from.version) -> \(c.to.version)") }
                    for c in diff.downgraded { progress.message("    \(c.to.name) \(c.from.version) -> \(c.to.version)") }
                    for p in diff.removed { progress.message("    removed \(p.name)-\(p.version)") }
                    for p in diff.added { progress.message("    added \(p.name)-\(p.version)") }
                }
                return Result(deployed: false, available: true, update: update)
            }
            if request.downloadOnly {
                progress.message("Downloaded \(newCommit.version ?? String(newBase.prefix(12))); not deploying (--download-only)")
                return Result(deployed: false, available: true, update: update)
            }
            try progress.checkpoint()
            if request.revision != nil && request.rebase == nil {
                progress.message("Deploying " + (newCommit.version.map { "\($0) " } ?? "") + "(\(newBase))")
            }
            origin.refspec = refspec
            origin.overrideCommit = pin
            var options = PackageChangeRequest()
            options.cacheOnly = request.cacheOnly
            let layering = PackageLayering(context: context, progress: progress)
            let r = try layering.deploy(src: src, osname: osname, base: newBase, origin: origin, newLocal: [], options: options, repo: repo)
            if r.deployed {
                if request.revision == nil || request.rebase != nil {
                    progress.message((request.rebase == nil ? "Upgraded to " : "Rebased to \(refspec) ") + (newCommit.version.map { "\($0) " } ?? "") + "(\(newBase))")
                }
            }
            return Result(deployed: r.deployed, available: true, update: update)
        }
    }

    /// rpm-ostree's CachedUpdate keys (osname, checksum, version, timestamp, origin,
    /// ref-has-new-commit), with the package diff against the current base from commit
    /// metadata (`package-diff`, as `db diff --format=json`) and the publisher's security mark.
    static func cachedUpdate(osname: String, refspec: String, checksum: String, commit: Commit, from old: Commit?) -> JSONValue {
        var o: [String: JSONValue] = [
            "osname": .string(osname), "checksum": .string(checksum), "timestamp": .int(Int64(commit.timestamp)),
            "origin": .string(refspec), "ref-has-new-commit": true,
            "security": .bool(commit.metadataString(AutomaticUpdate.securityKey) == "true"),
        ]
        if let v = commit.version { o["version"] = .string(v) }
        if let from = old?.packageList, let to = commit.packageList {
            o["package-diff"] = PackageDiff(from: from, to: to).json
        }
        return .object(o)
    }

    /// `reset`: the current base without the mutations `request` names (all by default:
    /// rpm-ostree's "remove all mutations"): layered packages, overrides, initramfs settings.
    /// A pin (`deploy REVISION`) stays.
    public func reset(_ request: ResetRequest = ResetRequest()) throws -> Bool {
        try context.withLock(progress: progress) {
            let osname = try context.osname()
            let src = try context.sourceDeployment(of: osname)
            let repo = try withContext("Opening repo") { try context.sysroot.repo() }
            let before = src.origin.map(OriginCodec.decode) ?? Origin()
            var origin = before
            let commit = try repo.loadCommit(src.checksum)
            let base = SysrootContext.baseChecksum(of: commit)
            if request.all || request.overlays {
                origin.requestedPackages = []
                origin.requestedLocalPackages = []
            }
            if request.all || request.overrides {
                origin.overrideRemove = []
                origin.overrideReplace = []
                origin.overrideReplaceLocal = []
            }
            if request.all || request.initramfs {
                origin.regenerateInitramfs = false
                origin.initramfsArgs = []
                origin.initramfsEtc = []
            }
            guard origin != before || (request.all && base != src.checksum) else {
                progress.message("No changes.")
                return false
            }
            return try PackageLayering(context: context, progress: progress).redeployBase(of: src, osname: osname, origin: origin, repo: repo)
        }
    }

    /// `remote:ref` into its parts; a plain ref has no remote.
    static func split(_ refspec: String) -> (remote: String?, ref: String) {
        guard let colon = refspec.firstIndex(of: ":") else { return (nil, refspec) }
        return (String(refspec[..<colon]), String(refspec[refspec.index(after: colon)...]))
    }

    /// rpm-ostree's rebase targets: `remote:ref`, `remote:` (same ref, other remote), or
    /// `ref` (same remote).
    static func rebaseTarget(_ target: String, from current: String) throws -> String {
        guard !target.isEmpty else { throw AptOstreeError(.invalidArgument, "Empty rebase target") }
        let (curRemote, curRef) = split(current)
        let (remote, ref) = split(target)
        if let remote {
            return remote + ":" + (ref.isEmpty ? curRef : ref)
        }
        return curRemote.map { $0 + ":" + ref } ?? ref
    }
}
