import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit
#if canImport(Glibc)
import Glibc
#endif

/// `compose image`: a disk image a VM firmware boots by itself. Layout (MBR, BIOS):
/// one bootable ext4 partition labelled `apt-ostree-root` from 1 MiB, holding an OSTree
/// sysroot made by libostree with the commit deployed; extlinux in /boot/syslinux reads the
/// `syslinux.cfg` that libostree regenerates from its BLS entries at every deployment change,
/// so upgrades and rollbacks inside the VM keep booting the right tree.
public struct ComposeImage {
    /// The filesystem label the kernel command line names.
    public static let rootLabel = "apt-ostree-root"
    /// Where the partition starts, in bytes.
    static let partitionOffset: UInt64 = 1 << 20

    public let progress: ProgressSink

    public init(progress: ProgressSink) { self.progress = progress }

    public func run(_ request: ComposeImageRequest) throws {
        try requireRoot("compose image")
        var request = request
        request.repo = FS.absolute(request.repo)
        request.output = FS.absolute(request.output)
        request.cachedir = request.cachedir.map(FS.absolute)
        request.workdir = request.workdir.map(FS.absolute)
        guard ["raw", "qcow2", "sysroot"].contains(request.format) else {
            throw AptOstreeError(.invalidArgument, "--format must be raw, qcow2 or sysroot, not '\(request.format)'")
        }
        let outputIsEmptyFolder = try FS.kind(request.output) == .directory && FileText.entries(of: request.output).isEmpty
        if request.format == "sysroot" && FS.kind(request.output) != .missing && !outputIsEmptyFolder {
            throw AptOstreeError(.invalidArgument, "\(request.output) exists and is not an empty folder")
        }
        guard request.size >= 512 << 20 else { throw AptOstreeError(.invalidArgument, "--size must be at least 512M") }
        let outDir = FS.dirname(of: request.output)
        guard FS.kind(outDir) == .directory else { throw AptOstreeError(.invalidArgument, "\(outDir) is not a folder") }

        // A manifest is composed first (a no-op when nothing changed); else the source is a ref.
        var ref = request.source, osname = request.osname ?? "debian", manifestArgs: [String] = []
        if FS.kind(request.source) == .regular {
            let tf = try TreefileLoader.load(request.source).treefile
            ref = tf.ref
            osname = request.osname ?? tf.osname
            manifestArgs = tf.kernelArgs
            var compose = ComposeTreeRequest(manifest: request.source, repo: request.repo)
            compose.cachedir = request.cachedir
            compose.workdir = request.workdir
            _ = try ComposeTree(progress: progress).run(compose)
        }
        let repo = try withContext("Opening repo") { try Repo.open(path: request.repo) }
        guard let checksum = try withContext("Resolving \(ref)", { try repo.resolve(ref, allowMissing: true) }) else {
            throw AptOstreeError(.notFound, "No ref or manifest '\(ref)' (no such file, and no such ref in \(request.repo))")
        }
        let commit = try repo.loadCommit(checksum)
        guard let kver = commit.metadataString("ostree.linux") else {
            throw AptOstreeError(.invalidArgument, "Commit \(checksum.prefix(12)) of \(ref) has no kernel (compose it with 'kernel: true')")
        }

        if request.format == "sysroot" {
            // A sysroot in a folder (for tests, demos and other image builders): no disk,
            // no bootloader; libostree still writes its BLS entries under boot/loader.
            let fresh = FS.kind(request.output) == .missing
            if fresh { try FS.makeDirectories(request.output) }
            do {
                progress.message("[1/1] Deploying \(ref) (\(checksum.prefix(12)), kernel \(kver)) into a new sysroot at \(request.output)")
                try deploy(sysrootPath: request.output, repoPath: request.repo, ref: ref, checksum: checksum, osname: osname,
                           kernelArgs: manifestArgs + request.kernelArgs, bootloader: false)
            } catch {
                // Leave nothing half-made behind (deployment folders are immutable).
                _ = try? Subprocess.run(["sh", "-c", "chattr -i \"$1\"/ostree/deploy/*/deploy/* 2>/dev/null; true", "sh", request.output])
                if fresh { try? FS.remove(request.output) } else { try? FileText.removeContents(of: request.output) }
                throw error
            }
            progress.message("Wrote sysroot \(request.output)")
            return
        }
        let scratch = try makeTemporaryDirectory(under: request.workdir ?? outDir)
        defer { try? FS.remove(scratch) }
        let raw = scratch + "/disk.raw", mnt = scratch + "/mnt"
        try FS.makeDirectories(mnt)
        progress.message("[1/4] Partitioning a \(formatSize(request.size)) disk (MBR, one ext4 partition)")
        try makeDisk(raw, size: request.size)

        try withContext("Mounting the root filesystem") {
            try Subprocess.run(["mount", "-o", "loop,offset=\(Self.partitionOffset)", raw, mnt])
        }
        var mounted = true
        defer { if mounted { _ = try? Subprocess.run(["umount", mnt]) } }

        progress.message("[2/4] Deploying \(ref) (\(checksum.prefix(12)), kernel \(kver)) into a new sysroot")
        try deploy(sysrootPath: mnt, repoPath: request.repo, ref: ref, checksum: checksum, osname: osname,
                   kernelArgs: ["root=LABEL=\(Self.rootLabel)", "rw", "console=tty0", "console=ttyS0,115200n8"]
                       + manifestArgs + request.kernelArgs, bootloader: true)

        progress.message("[3/4] Installing the bootloader (extlinux, reading libostree's syslinux.cfg)")
        try withContext("Installing extlinux") {
            try Subprocess.run(["extlinux", "--install", mnt + "/boot/syslinux"])
        }
        try withContext("Unmounting the root filesystem") { try Subprocess.run(["umount", mnt]) }
        mounted = false
        try writeMBR(raw)

        progress.message("[4/4] Writing \(request.output) (\(request.format))")
        let tmp = request.output + ".tmp-aot"
        if request.format == "qcow2" {
            try withContext("Converting to qcow2") {
                try Subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, tmp])
            }
        } else {
            try FS.move(raw, to: tmp)
        }
        try FS.move(tmp, to: request.output)
        progress.message("Wrote \(request.output)")
    }

    /// A sparse file of `size` bytes with an MBR partition table: one bootable Linux
    /// partition from 1 MiB to the end, formatted ext4 without the features extlinux
    /// cannot read (64bit).
    func makeDisk(_ path: String, size: UInt64) throws {
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FS.error(path) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else { throw FS.error(path) }
        try withContext("Partitioning") {
            let script = path + ".sfdisk"
            try FS.writeFile(script, "label: dos\nstart=2048, type=83, bootable\n")
            defer { try? FS.remove(script) }
            try Subprocess.run(["sh", "-c", "sfdisk --quiet \"$1\" < \"$2\"", "sh", path, script])
        }
        let blocks = (size - Self.partitionOffset) / 1024
        try withContext("Formatting the root filesystem") {
            try Subprocess.run(["mkfs.ext4", "-q", "-F", "-L", Self.rootLabel, "-O", "^64bit",
                                "-E", "offset=\(Self.partitionOffset)", path, "\(blocks)k"])
        }
    }

    /// Makes the sysroot, pulls the commit into its repo, and deploys it with libostree.
    func deploy(sysrootPath: String, repoPath: String, ref: String, checksum: String, osname: String,
                kernelArgs: [String], bootloader: Bool) throws {
        let sysroot = try withContext("Initializing the sysroot") { try Sysroot.initialize(path: sysrootPath, osname: osname) }
        let target = try sysroot.repo()
        try withContext("Configuring the sysroot repo") { try target.setConfig("sysroot", "bootloader", bootloader ? "syslinux" : "none") }
        try withContext("Pulling \(ref) into the image") { try target.pullLocal(from: repoPath, refs: [ref]) }
        let origin = KeyFile()
        origin.set("origin", "refspec", ref)
        guard bootloader else {
            let deployment = try withContext("Deploying \(ref)") {
                try sysroot.deployTree(osname: osname, revision: checksum, origin: origin, merge: nil, kernelArgs: kernelArgs)
            }
            try withContext("Writing the boot configuration") { try sysroot.simpleWriteDeployment(osname: osname, new: deployment, merge: nil) }
            return
        }
        // libostree's syslinux backend rewrites boot/loader/syslinux.cfg, keeping lines
        // outside its LABEL entries; the first version must exist and be reached through
        // boot/syslinux/syslinux.cfg, where extlinux looks.
        let boot = sysrootPath + "/boot"
        try FS.makeDirectories(boot + "/loader.0")
        try FS.symlink("loader.0", at: boot + "/loader")
        // A menu (menu.c32) on the console and the serial port: its default entry is the label
        // equal to libostree's DEFAULT line (the default deployment), and booting an entry
        // passes only that entry's APPEND line to the kernel.
        try FS.writeFile(boot + "/loader.0/syslinux.cfg",
                         "SERIAL 0 115200\nUI menu.c32\nMENU TITLE apt-ostree: \(osname)\nPROMPT 0\nTIMEOUT 20\n")
        try FS.makeDirectories(boot + "/syslinux")
        for module in ["menu.c32", "libutil.c32", "libcom32.c32"] {
            let source = "/usr/lib/syslinux/modules/bios/" + module
            guard FS.kind(source) == .regular else { throw AptOstreeError(.failed, "\(source) is missing (install syslinux-common)") }
            try Subprocess.run(["cp", source, boot + "/syslinux/" + module])
        }
        try FS.symlink("../loader/syslinux.cfg", at: boot + "/syslinux/syslinux.cfg")
        let deployment = try withContext("Deploying \(ref)") {
            try sysroot.deployTree(osname: osname, revision: checksum, origin: origin, merge: nil, kernelArgs: kernelArgs)
        }
        try withContext("Writing the boot configuration") {
            try sysroot.simpleWriteDeployment(osname: osname, new: deployment, merge: nil)
        }
    }

    /// syslinux's boot code in the first 440 bytes (the partition table stays).
    func writeMBR(_ path: String) throws {
        let mbr = "/usr/lib/syslinux/mbr/mbr.bin"
        guard FS.kind(mbr) == .regular else { throw AptOstreeError(.failed, "\(mbr) is missing (install syslinux-common)") }
        try withContext("Writing the MBR boot code") {
            try Subprocess.run(["dd", "if=\(mbr)", "of=\(path)", "bs=440", "count=1", "conv=notrunc", "status=none"])
        }
    }
}

/// A new private folder under `parent`.
func makeTemporaryDirectory(under parent: String) throws -> String {
    try FS.makeDirectories(parent)
    var template = Array((parent + "/apt-ostree-compose.XXXXXX").utf8CString)
    guard let p = mkdtemp(&template) else { throw FS.error(parent) }
    // apt's download sandbox (user _apt) must reach the tree's lists/partial below it.
    chmod(p, 0o755)
    return String(cString: p)
}
