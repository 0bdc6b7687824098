import AptOstreeModel
import OSTreeKit

/// The refs that keep what deployments need but libostree's pruning does not see: the base
/// commit of each layered deployment (`aptostree/base/N`, rpm-ostree's `rpmostree/base/N`;
/// libostree keeps deployment commits but not their parents), the reusable layer commits
/// that are still deployed, and the local .debs some origin still requests (layered or as a replacement). Everything else
/// under those prefixes goes, so the cache does not grow without bound.
enum LayerRefs {
    static let basePrefix = "aptostree/base/"

    /// Brings the refs in line with the deployments.
    static func sync(_ context: SysrootContext) throws {
        let sysroot = context.sysroot
        let repo = try sysroot.repo()
        let deployments = sysroot.deployments
        var bases: [String] = []
        for d in deployments {
            guard let c = try repo.loadCommitIfPresent(d.checksum), c.metadataBool(StatusReader.MetaKey.clientLayer) == true,
                  let parent = c.parent, !bases.contains(parent) else { continue }
            bases.append(parent)
        }
        let wanted = Dictionary(uniqueKeysWithValues: bases.enumerated().map { (basePrefix + String($0.offset), $0.element) })
        for (ref, target) in try repo.refs(prefix: basePrefix) where wanted[ref] != target {
            try repo.setRef(ref, to: nil)
        }
        for (ref, target) in wanted { try repo.setRef(ref, to: target) }

        let deployed = Set(deployments.map(\.checksum))
        for (ref, target) in try repo.refs(prefix: PackageLayering.layerRefPrefix) where !deployed.contains(target) {
            try repo.setRef(ref, to: nil)
        }
        let requestedLocal = Set(deployments.flatMap { d in
            d.origin.map(OriginCodec.decode).map { ($0.requestedLocalPackages + $0.overrideReplaceLocal).map(LocalPackages.sha256(ofEntry:)) } ?? []
        })
        for (ref, _) in try repo.refs(prefix: LocalPackages.refPrefix)
        where !requestedLocal.contains(String(ref.dropFirst(LocalPackages.refPrefix.count))) {
            try repo.setRef(ref, to: nil)
        }
    }

    /// libostree's cleanup (unlisted deployment folders, then unreachable objects), after
    /// the refs above are in line.
    static func cleanup(_ context: SysrootContext) throws -> (pruned: Int32, freed: UInt64) {
        try withContext("Keeping base and layer commits") { try sync(context) }
        return try context.sysroot.cleanup()
    }
}
