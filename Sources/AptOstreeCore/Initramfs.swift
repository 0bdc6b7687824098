import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit
#if canImport(Glibc)
import Glibc
#endif

/// `initramfs` and `initramfs-etc`: settings kept in the origin (`[aptostree]
/// regenerate-initramfs=`, `initramfs-args=`, `initramfs-etc=`) and applied on every later
/// deployment. A regenerated initramfs is part of the layer (the tree's generator, run in the
/// sandbox with the machine's /etc); tracked /etc files travel in an overlay initrd that
/// libostree loads after the tree's own, so no regeneration is needed for them.
public struct InitramfsChange {
    let context: SysrootContext
    let progress: ProgressSink

    public init(context: SysrootContext, progress: ProgressSink) {
        self.context = context
        self.progress = progress
    }

    /// `initramfs --enable [--arg=ARG...]` or `--disable`; returns whether a deployment was written.
    public func run(_ request: InitramfsRequest) throws -> Bool {
        if !request.enable && !request.args.isEmpty {
            throw AptOstreeError(.invalidArgument, "Cannot simultaneously specify --disable and --arg")
        }
        return try context.withLock(progress: progress) {
            let osname = try context.osname()
            let src = try context.sourceDeployment(of: osname)
            let repo = try withContext("Opening repo") { try context.sysroot.repo() }
            var origin = src.origin.map(OriginCodec.decode) ?? Origin()
            // Arguments are not compared: asking again with them regenerates (a config file
            // may have changed, which only a regeneration can tell).
            if request.enable == origin.regenerateInitramfs && request.args.isEmpty && origin.initramfsArgs.isEmpty
                && !(request.force && request.enable) {
                throw AptOstreeError(.invalidArgument, "initramfs regeneration state is already \(request.enable ? "enabled" : "disabled")")
            }
            if request.enable && !origin.initramfsEtc.isEmpty {
                throw AptOstreeError(.invalidArgument, "initramfs regeneration and /etc overlay not compatible (the regenerated initramfs reads /etc already); run 'apt-ostree initramfs-etc --untrack-all' first")
            }
            origin.regenerateInitramfs = request.enable
            // --force without arguments keeps the ones in force.
            if !(request.force && request.args.isEmpty) { origin.initramfsArgs = request.enable ? request.args : [] }
            return try PackageLayering(context: context, progress: progress).redeployBase(of: src, osname: osname, origin: origin, repo: repo)
        }
    }

    /// `initramfs-etc`: changes the tracked /etc files (or, with `forceSync`, deploys again
    /// to take their current content); returns whether a deployment was written.
    public func runEtc(_ request: InitramfsEtcRequest) throws -> Bool {
        for path in request.track + request.untrack { try Self.checkEtcPath(path) }
        return try context.withLock(progress: progress) {
            let osname = try context.osname()
            let src = try context.sourceDeployment(of: osname)
            let repo = try withContext("Opening repo") { try context.sysroot.repo() }
            var origin = src.origin.map(OriginCodec.decode) ?? Origin()
            if origin.regenerateInitramfs && !request.track.isEmpty {
                throw AptOstreeError(.invalidArgument, "initramfs regeneration and /etc overlay not compatible (the regenerated initramfs reads /etc already)")
            }
            let etc = context.etcRoot(of: osname, fallback: src)
            for path in request.track where FS.kind(etc + path) == .missing {
                throw AptOstreeError(.notFound, "\(path): no such file or folder in the deployment's /etc")
            }
            var list = request.untrackAll ? [] : origin.initramfsEtc.filter { !request.untrack.contains($0) }
            for path in request.track where !list.contains(path) { list.append(path) }
            if list == origin.initramfsEtc && !request.forceSync {
                progress.message("No changes.")
                return false
            }
            origin.initramfsEtc = list
            return try PackageLayering(context: context, progress: progress).redeployBase(of: src, osname: osname, origin: origin, repo: repo)
        }
    }

    /// A tracked path is absolute, below /etc, with no `.` or `..` parts.
    static func checkEtcPath(_ path: String) throws {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard path.hasPrefix("/etc/"), parts.count >= 3, !parts.dropFirst().contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw AptOstreeError(.invalidArgument, "'\(path)' is not a path under /etc")
        }
    }

    /// The overlay initrd of `paths` as they are under `root` (a deployment's folder): kept
    /// under /boot by libostree; returns the checksum a deployment names it by. A tracked
    /// file that has gone is left out, with a message.
    static func stageOverlay(context: SysrootContext, root: String, paths: [String], osname: String,
                             progress: ProgressSink) throws -> String {
        var cpio = CPIOWriter()
        for path in paths {
            guard FS.kind(root + path) != .missing else {
                progress.message("warning: \(path) is tracked for the initramfs but missing; left out")
                continue
            }
            try cpio.add(hostPath: root + path, as: String(path.dropFirst()))
        }
        let scratch = try makeTemporaryDirectory(under: context.varDirectory(osname: osname) + "/tmp")
        defer { try? FS.remove(scratch) }
        let file = scratch + "/overlay.cpio"
        let bytes = cpio.archive
        let fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AptOstreeError(.failed, "\(file): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, lseek(fd, 0, SEEK_SET) == 0 else {
            throw AptOstreeError(.failed, "\(file): \(String(cString: strerror(errno)))")
        }
        progress.message("Staging an initramfs overlay of \(paths.count) /etc path\(paths.count == 1 ? "" : "s")")
        return try withContext("Staging the initramfs overlay") { try context.sysroot.stageOverlayInitrd(fd: fd) }
    }
}
