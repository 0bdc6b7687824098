import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit

/// `cleanup`: drop the pending and/or rollback deployments, and clear temporary data.
public struct Cleanup {
    /// The request: rpm-ostree's -p, -r, -b, -m.
    public typealias Request = CleanupRequest

    /// What was removed.
    public struct Result: Sendable, Equatable {
        /// Ids of deployments removed.
        public var removed: [String] = []
    }

    let context: SysrootContext
    let progress: ProgressSink

    /// Makes the operation.
    public init(context: SysrootContext, progress: ProgressSink) {
        self.context = context
        self.progress = progress
    }

    /// Runs it under the sysroot lock.
    public func run(_ request: Request) throws -> Result {
        guard request.pending || request.rollback || request.base || request.repomd else {
            throw AptOstreeError(.invalidArgument, "At least one cleanup option must be specified")
        }
        return try context.withLock(progress: progress) {
            let sysroot = context.sysroot
            let osname = try context.osname()
            var result = Result()
            var base = request.base
            if request.pending || request.rollback {
                let all = sysroot.deployments
                let booted = context.bootedOrDefault
                var keep: [Deployment] = []
                var pastBooted = false
                for d in all {
                    if let booted, d.isSame(as: booted) { pastBooted = true; keep.append(d); continue }
                    // Other stateroots and pinned deployments are never collected.
                    if d.osname != osname || d.isPinned { keep.append(d); continue }
                    if (!pastBooted && request.pending) || (pastBooted && request.rollback) {
                        result.removed.append(d.id)
                        continue
                    }
                    keep.append(d)
                }
                if result.removed.isEmpty {
                    progress.message("Deployments unchanged.")
                } else {
                    try progress.checkpoint()
                    try Failpoint.hit("deploy.before")
                    try withContext("Writing deployments") { try sysroot.writeDeployments(keep, postclean: false) }
                    try Failpoint.hit("cleanup.mid")
                    for id in result.removed { progress.message("Removed deployment \(id)") }
                    base = true
                }
            }
            if base {
                progress.message("Cleaning up temporary files and unused objects...")
                let (pruned, freed) = try withContext("Cleaning up") { try LayerRefs.cleanup(context) }
                if pruned > 0 { progress.message("Freed objects: \(pruned) (\(formatSize(freed)))") }
            }
            if request.repomd {
                let dir = context.varDirectory(osname: osname) + "/cache/apt-ostree"
                try withContext("Removing cached package metadata") { try FileText.removeContents(of: dir) }
                progress.message("Removed cached package metadata")
            }
            return result
        }
    }
}
