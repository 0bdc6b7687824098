import AptOstreeModel
import OSTreeKit

/// Builds `HostStatus` from libostree: deployments, their commits and origins.
public struct StatusReader {
    /// Commit metadata keys the engine writes on layered commits.
    public enum MetaKey {
        /// true on a commit apt-ostree assembled client-side; its parent is the base.
        public static let clientLayer = "aptostree.clientlayer"
        /// The packages layered (name list).
        public static let packages = "aptostree.packages"
        /// The arguments of a client-side initramfs (present when the layer made one).
        public static let initramfsArgs = "aptostree.initramfs-args"
        /// Base packages removed, as the base had them (`a(sss)`).
        public static let removedBasePackages = "aptostree.removed-base-packages"
        /// Base packages replaced by local packages, as the layer has them (`a(sss)`).
        public static let replacedBasePackages = "aptostree.replaced-base-packages"
    }

    let context: SysrootContext

    /// Reads status from an opened sysroot.
    public init(_ context: SysrootContext) {
        self.context = context
    }

    /// The status of every deployment, default first.
    public func read() throws -> HostStatus {
        let sysroot = context.sysroot
        let repo = try withContext("Opening repo") { try sysroot.repo() }
        let realBooted = sysroot.booted
        let all = sysroot.deployments
        let standIn = realBooted ?? all.first
        // Each commit is loaded once: for its deployment's status and for the package diffs.
        var commits: [String: Commit] = [:]
        var list = try all.map { d in
            try withContext("Reading deployment \(d.id)") {
                let commit = try commits[d.checksum] ?? repo.loadCommit(d.checksum)
                commits[d.checksum] = commit
                return try deploymentStatus(d, commit: commit, repo: repo, booted: standIn.map { d.isSame(as: $0) } ?? false)
            }
        }
        // Each other deployment's package changes against the booted one, from metadata.
        if let booted = list.first(where: \.booted), let from = commits[booted.checksum]?.packageList {
            for i in list.indices where !list[i].booted && list[i].checksum != booted.checksum {
                if let to = commits[list[i].checksum]?.packageList {
                    list[i].packageDiff = PackageDiff(from: from, to: to).summary
                }
            }
        }
        var status = HostStatus(deployments: list, hasRealBootedDeployment: realBooted != nil)
        if let standIn, let osname = try? context.osname() {
            // The machine's policy (a malformed file shows as none here; the daemon and the
            // automatic service report it), its last automatic run and the cached update.
            let etc = context.etcRoot(of: osname, fallback: standIn)
            status.automaticUpdatePolicy = ((try? DaemonConfig.load(machineRoot: etc))?.automaticUpdatePolicy ?? .none).rawValue
            let state = UpdateStateFile(context: context).read(osname: osname)
            status.lastAutomaticRun = AutomaticRun(json: state["last-run"])
            let bases = Set(list.filter { $0.osname == osname }.map { $0.baseChecksum ?? $0.checksum })
            status.cachedUpdate = UpdateStateFile.cachedUpdate(in: state, deployedBases: bases)
        }
        return status
    }

    func deploymentStatus(_ d: Deployment, commit: Commit, repo: Repo, booted: Bool) throws -> DeploymentStatus {
        let request = d.origin.map(OriginCodec.decode) ?? Origin()
        var s = DeploymentStatus(
            id: d.id, osname: d.osname, serial: Int(d.deploySerial), checksum: d.checksum,
            version: commit.version, timestamp: commit.timestamp,
            origin: request.refspec ?? request.overrideCommit, booted: booted,
            staged: d.isStaged, pinned: d.isPinned, unlocked: d.unlockedState, request: request)
        s.containerImageReference = request.containerImageReference
        s.kernelArgs = KernelArgs(d.kernelArguments).strv.filter { !$0.hasPrefix("ostree=") }
        if let booted = context.sysroot.booted, d.isSame(as: booted), let live = ApplyLive.state(of: d) {
            s.liveReplaced = live.commit.isEmpty ? nil : live.commit
            s.liveInProgress = live.inProgress.isEmpty ? nil : live.inProgress
        }

        var base = commit
        if commit.metadataBool(MetaKey.clientLayer) == true, let parent = commit.parent {
            base = try repo.loadCommit(parent)
            s.baseChecksum = base.checksum
            s.baseVersion = base.version
            s.baseTimestamp = base.timestamp
            s.packages = commit.metadataStrings(MetaKey.packages) ?? []
            s.baseRemovals = commit.packages(MetaKey.removedBasePackages)
            let replaced = commit.packages(MetaKey.replacedBasePackages)
            if !replaced.isEmpty {
                let old = Dictionary((base.packageList ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                s.baseLocalReplacements = replaced.compactMap { p in old[p.name].map { PackageReplacement(from: $0, to: p) } }
            }
        }
        // A newer commit on the origin's ref (pulled but not deployed) shows as pending.
        if request.overrideCommit == nil, let ref = request.refspec,
           let head = try? repo.resolve(ref, allowMissing: true), head != base.checksum,
           let pending = try? repo.loadCommitIfPresent(head) {
            s.pendingBaseChecksum = head
            s.pendingBaseVersion = pending.version
            s.pendingBaseTimestamp = pending.timestamp
        }
        return s
    }
}
