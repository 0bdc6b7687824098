import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit
#if canImport(Glibc)
import Glibc
#endif

/// Composes a bootable Debian OSTree commit: bootstrap with mmdebstrap, postprocess in a
/// sandbox, make sure the initramfs can boot a deployment, transform to OSTree's layout,
/// commit with libostree. The repo changes only in the last step, in one transaction.
public struct ComposeTree: Sendable {
    /// Bumped whenever the transform changes what a manifest produces.
    public static let formatVersion = "2"
    /// Commit metadata keys.
    public enum MetaKey {
        public static let inputHash = "aptostree.inputhash"
        public static let manifest = "aptostree.manifest"
        public static let packageList = "aptostree.dpkg.pkglist"
        public static let suite = "aptostree.suite"
    }

    public let progress: ProgressSink

    public init(progress: ProgressSink) { self.progress = progress }

    public func run(_ request: ComposeTreeRequest) throws -> ComposeOutcome {
        try requireRoot("compose tree")
        var request = request
        request.manifest = FS.absolute(request.manifest)
        request.repo = FS.absolute(request.repo)
        request.cachedir = request.cachedir.map(FS.absolute)
        request.workdir = request.workdir.map(FS.absolute)
        let loaded = try TreefileLoader.load(request.manifest)
        let tf = loaded.treefile
        let repo = try withContext("Opening repo") { try Repo.open(path: request.repo) }
        if let w = request.workdir, FS.kind(w) != .directory { throw AptOstreeError(.invalidArgument, "--workdir \(w) is not a folder") }
        if let c = request.cachedir { try FS.makeDirectories(c) }
        // One compose at a time per cache: apt's lists and the .debs are shared.
        let cacheLock = try request.cachedir.map { try FileLock(path: $0 + "/.lock", progress: progress) }
        defer { cacheLock?.release() }
        let arch = try tf.architecture ?? hostArchitecture()
        let hookDir = try dataDirectory() + "/initramfs-tools"
        let scratch = try makeTemporaryDirectory(under: request.workdir ?? request.cachedir ?? "/var/tmp")
        defer { removeScratch(scratch) }
        let cache = request.cachedir ?? scratch + "/cache"
        try FS.makeDirectories(cache + "/archives")

        progress.message("[1/5] Resolving: \(tf.suite) from \(tf.mirror), \(tf.effectivePackages.count) packages on top of \(tf.variant)")
        let lists = AptLists(treefile: tf, architecture: arch, directory: cache + "/apt")
        try lists.update(progress: progress)
        try lists.checkPackagesExist(tf.effectivePackages)
        let inputHash = sha256Hex([
            Self.formatVersion, tf.json.serialized(pretty: false), loaded.scriptTexts.joined(separator: "\0"),
            loaded.localPackageDigests.joined(separator: ","),
            try lists.releaseDigest(), try FileText.read(hookDir + "/hooks/apt-ostree"),
            try FileText.read(hookDir + "/scripts/local-bottom/apt-ostree"),
        ].joined(separator: "\n"))
        let previous = try withContext("Resolving parent") { try repo.resolve(request.parent ?? tf.ref, allowMissing: request.parent == nil) }
        let previousCommit = try previous.map { try repo.loadCommit($0) }
        if !request.forceNocache, let previousCommit, previousCommit.metadataString(MetaKey.inputHash) == inputHash {
            progress.message("No apparent changes since previous commit; use --force-nocache to override")
            return .unchanged
        }

        let bootstrap = Bootstrap(treefile: tf, architecture: arch, lists: lists, archives: cache + "/archives",
                                  hookDirectory: hookDir, progress: progress)
        if request.dryRun {
            let installs = try lists.simulate(variant: tf.variant, packages: tf.effectivePackages + tf.localPackages)
            for line in installs { progress.message("  " + line) }
            progress.message("\(installs.count) packages; --dry-run complete; exiting")
            return .dryRun
        }
        let root = scratch + "/root"
        progress.message("[2/5] Bootstrapping with mmdebstrap")
        try bootstrap.run(into: root)

        progress.message("[3/5] Postprocessing in a sandbox")
        let kver = try Postprocess(treefile: tf, root: root, scriptTexts: loaded.scriptTexts, progress: progress).run()

        progress.message("[4/5] Transforming the tree for OSTree")
        let result = try TreeTransform(root: root, requireKernel: tf.kernel, progress: progress).run()
        if tf.kernel && result.kernelVersion != kver {
            throw AptOstreeError(.failed, "Kernel \(kver ?? "none") was prepared but the tree holds \(result.kernelVersion ?? "none")")
        }
        let packages = Deb822.installedPackages(status: try FileText.read(root + "/usr/lib/sysimage/dpkg/status"))

        progress.message("[5/5] Committing \(packages.count) packages to \(request.repo)")
        var metadata: [String: MetadataValue] = [
            MetaKey.inputHash: .string(inputHash),
            MetaKey.manifest: .string(tf.json.serialized(pretty: false)),
            MetaKey.packageList: .packageList(packages),
            MetaKey.suite: .string(tf.suite),
            "ostree.bootable": .bool(result.kernelVersion != nil),
        ]
        if let kv = result.kernelVersion { metadata["ostree.linux"] = .string(kv) }
        for (k, v) in tf.addCommitMetadata {
            switch v {
            case .bool(let b): metadata[k] = .bool(b)
            case .int(let i): metadata[k] = .string(String(i))
            case .string(let s): metadata[k] = .string(s)
            default: break
            }
        }
        for kv in request.metadataStrings {
            let parts = kv.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw AptOstreeError(.invalidArgument, "--add-metadata-string must be KEY=VALUE, not '\(kv)'")
            }
            metadata[parts[0]] = .string(parts[1])
        }
        var explicitVersion: String?
        if case .string(let v)? = metadata["version"] { explicitVersion = v }
        let version = Self.version(treefile: tf, explicit: explicitVersion, previous: previousCommit?.version)
        if let version { metadata["version"] = .string(version) }

        let commit = try withContext("Committing") {
            try repo.writeCommit(directory: root, parent: previous, subject: tf.ref + (version.map { " " + $0 } ?? ""),
                                 metadata: metadata, ref: request.writeCommitidTo == nil ? tf.ref : nil,
                                 timestamp: UInt64(time(nil)), skipIfUnchanged: !request.forceNocache)
        }
        guard let checksum = commit.checksum else {
            progress.message("No apparent changes since previous commit; use --force-nocache to override")
            return .unchanged
        }
        if let path = request.writeCommitidTo { try FS.writeFile(path, checksum) }
        if let path = request.touchIfChanged { try FS.writeFile(path, "") }
        progress.message("Wrote commit: \(checksum)" + (request.writeCommitidTo == nil ? " (ref \(tf.ref))" : ""))
        if let version { progress.message("Version: \(version)") }
        return .committed(checksum: checksum, version: version)
    }

    /// The commit's version: `--add-metadata-string=version=`, else the manifest's `version`,
    /// else `PREFIX.N` counting up from the previous version with the same prefix.
    public static func version(treefile: Treefile, explicit: String?, previous: String?) -> String? {
        if let explicit { return explicit }
        if let v = treefile.version { return v }
        guard let prefix = treefile.automaticVersionPrefix else { return nil }
        if let previous, previous.hasPrefix(prefix + "."), let n = Int(previous.dropFirst(prefix.count + 1)) {
            return "\(prefix).\(n + 1)"
        }
        return "\(prefix).0"
    }

    /// dpkg's name for the build host's architecture.
    func hostArchitecture() throws -> String {
        var arch = ""
        try Subprocess.run(["dpkg", "--print-architecture"]) { arch = $0 }
        guard !arch.isEmpty else { throw AptOstreeError(.failed, "dpkg --print-architecture printed nothing") }
        return arch
    }

    /// Removes the scratch folder, unless something is still mounted below it (a failed
    /// bootstrap): deleting through a mount could reach the cache or the host.
    func removeScratch(_ path: String) {
        if let mounts = try? FileText.read("/proc/self/mountinfo"),
           mounts.split(separator: "\n").contains(where: { $0.split(separator: " ").dropFirst(4).first?.hasPrefix(path + "/") == true }) {
            progress.message("warning: leaving \(path) in place: something is still mounted below it")
            return
        }
        try? FS.remove(path)
    }
}
