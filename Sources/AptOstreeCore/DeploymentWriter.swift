import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit

/// The one path by which the engine adds a deployment.
///
/// Atomicity: `deploy_tree` only writes a new, unlisted deployment folder; nothing boots it
/// until `simple_write_deployment` swaps the bootloader configuration in one rename. If any
/// step fails before that swap, the half-made folder is unlisted and `cleanup` removes it,
/// so the sysroot is exactly as before. On a booted system the deployment is staged
/// instead, and ostree-finalize-staged makes it the default at shutdown.
struct DeploymentWriter {
    let context: SysrootContext
    let progress: ProgressSink

    /// Deploys `revision` of `osname` with `origin` (and `kernelArgs`, or the merge
    /// deployment's when nil) as the new default deployment; returns it.
    func write(osname: String, revision: String, origin: Origin, originBase: KeyFile?,
               kernelArgs: [String]?) throws -> Deployment {
        let sysroot = context.sysroot
        let keyfile = try withContext("Preparing origin") { try OriginCodec.encode(origin, over: originBase) }
        try Failpoint.hit("deploy.before")
        let merge = sysroot.mergeDeployment(osname: osname)
        // Tracked /etc files (initramfs-etc), as the merge deployment's /etc has them now.
        var overlays: [String] = []
        if !origin.initramfsEtc.isEmpty, let merge {
            overlays = [try InitramfsChange.stageOverlay(context: context, root: context.deploymentPath(merge), paths: origin.initramfsEtc,
                                                         osname: osname, progress: progress)]
        }
        try progress.checkpoint()
        if sysroot.booted != nil {
            progress.message("Staging deployment...")
            let staged = try withContext("Staging deployment") {
                try sysroot.deployTree(osname: osname, revision: revision, origin: keyfile, merge: merge,
                                       kernelArgs: kernelArgs, overlayInitrds: overlays, stage: true)
            }
            try withContext("Reloading sysroot") { try sysroot.load() }
            try withContext("Keeping base and layer commits") { try LayerRefs.sync(context) }
            try recordHistory(staged, osname: osname)
            return staged
        }
        // Not staged: libostree copies the overlay from /run/ostree/staged-initrds (where it
        // always puts them, whatever the sysroot) into /boot now; the copy in /run can go.
        defer { for o in overlays { try? FS.remove("/run/ostree/staged-initrds/" + o) } }
        progress.message("Writing deployment...")
        let before = Set(sysroot.deployments.map(\.id))
        let new = try withContext("Deploying \(revision)") {
            try sysroot.deployTree(osname: osname, revision: revision, origin: keyfile, merge: merge,
                                   kernelArgs: kernelArgs, overlayInitrds: overlays)
        }
        do {
            try Failpoint.hit("deploy.after-tree")
            try progress.checkpoint()
            try sysroot.simpleWriteDeployment(osname: osname, new: new, merge: merge)
        } catch {
            // The new folder was never listed: drop it so nothing half-written stays.
            _ = try? sysroot.cleanup()
            throw AptOstreeError.from(error, context: "Writing deployment")
        }
        try Failpoint.hit("deploy.after")
        try recordHistory(new, osname: osname)
        // Only a dropped deployment leaves folders and objects to clean up; the refs that
        // keep layered deployments' bases follow every change.
        guard !before.isSubset(of: Set(sysroot.deployments.map(\.id))) else {
            try withContext("Keeping base and layer commits") { try LayerRefs.sync(context) }
            return new
        }
        let (pruned, freed) = try withContext("Cleaning up old deployments") { try LayerRefs.cleanup(context) }
        if pruned > 0 { progress.message("Freed objects: \(pruned) (\(formatSize(freed)))") }
        return new
    }

    /// The deployment is written: it goes into the history (a failure to record is reported,
    /// not fatal: the deployment stands).
    func recordHistory(_ d: Deployment, osname: String) throws {
        let version = try? context.sysroot.repo().loadCommit(d.checksum).version
        do {
            try History(context: context).record(osname: osname, id: d.id, checksum: d.checksum, version: version ?? nil)
        } catch {
            progress.message("warning: recording the history: \(error)")
        }
    }
}
