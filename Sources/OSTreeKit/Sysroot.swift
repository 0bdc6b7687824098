import CLibOSTree
import COSTreeShims
#if canImport(Glibc)
import Glibc
#endif

/// An OSTree sysroot (`/` on a booted host, or any folder made by `ostree admin init-fs`).
///
/// Every method maps to one libostree call; the atomic protocol is libostree's: a new
/// deployment set becomes visible only when the bootloader config is swapped
/// (`/boot/loader` symlink flip) inside `write_deployments`.
public final class Sysroot: GObjectRef, @unchecked Sendable {
    var pointer: OpaquePointer { OpaquePointer(raw) }
    /// The path the sysroot was opened at.
    public let path: String
    private var locked = false

    /// Opens and loads the sysroot at `path`. Fails with a one-line message when `path` is
    /// not a sysroot, before libostree gets to create anything in it.
    public init(path: String) throws {
        self.path = path
        let file = GFileRef(path: path)
        super.init(adopting: UnsafeMutableRawPointer(ostree_sysroot_new(file.pointer)))
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw GLibError(domain: "g-io-error-quark", code: Int32(G_IO_ERROR_NOT_FOUND.rawValue),
                            message: "\(path): no such directory")
        }
        guard stat(path + "/ostree/repo", &st) == 0, stat(path + "/ostree/deploy", &st) == 0 else {
            throw GLibError(domain: "g-io-error-quark", code: Int32(G_IO_ERROR_NOT_FOUND.rawValue),
                            message: "\(path) is not an OSTree sysroot (no ostree/repo or ostree/deploy)")
        }
        try load()
    }

    deinit {
        if locked { ostree_sysroot_unlock(pointer) }
    }

    /// Makes `path` (an existing, empty folder) an OSTree sysroot with a stateroot `osname`,
    /// and opens it: `ostree admin init-fs` plus `os-init`, through libostree.
    public static func initialize(path: String, osname: String) throws -> Sysroot {
        let file = GFileRef(path: path)
        let raw = ostree_sysroot_new(file.pointer)!
        defer { g_object_unref(UnsafeMutableRawPointer(raw)) }
        try withGError("Initializing sysroot \(path)") { ostree_sysroot_ensure_initialized(raw, nil, $0) }
        try withGError("Loading sysroot \(path)") { ostree_sysroot_load(raw, nil, $0) }
        try withGError("Initializing stateroot \(osname)") { ostree_sysroot_init_osname(raw, osname, nil, $0) }
        return try Sysroot(path: path)
    }

    /// (Re)reads the deployment list and boot config from disk.
    public func load() throws {
        try withGError("Loading sysroot \(path)") { ostree_sysroot_load(pointer, nil, $0) }
    }

    /// All deployments, default (index 0) first.
    public var deployments: [Deployment] {
        guard let arr = ostree_sysroot_get_deployments(pointer) else { return [] }
        defer { g_ptr_array_unref(arr) }
        return (0..<Int(arr.pointee.len)).compactMap { i in
            arr.pointee.pdata[i].map { Deployment(retaining: $0) }
        }
    }

    /// The deployment the running system booted, if this sysroot is the booted one.
    public var booted: Deployment? {
        ostree_sysroot_get_booted_deployment(pointer).map { Deployment(retaining: UnsafeMutableRawPointer($0)) }
    }

    /// The staged deployment, if any.
    public var staged: Deployment? {
        ostree_sysroot_get_staged_deployment(pointer).map { Deployment(retaining: UnsafeMutableRawPointer($0)) }
    }

    /// The sysroot's repository.
    public func repo() throws -> Repo {
        var r: OpaquePointer? = nil
        try withGError("Opening sysroot repo") { ostree_sysroot_get_repo(pointer, &r, nil, $0) }
        guard let r else { throw GLibError(message: "Opening sysroot repo: no repo") }
        return Repo(adopting: UnsafeMutableRawPointer(r))
    }

    /// The deployment libostree would merge /etc from for `osname` (booted, else default).
    public func mergeDeployment(osname: String?) -> Deployment? {
        ostree_sysroot_get_merge_deployment(pointer, osname).map { Deployment(adopting: UnsafeMutableRawPointer($0)) }
    }

    /// Takes the sysroot lock without waiting; returns false when another process holds it.
    public func tryLock() throws -> Bool {
        var acquired: gboolean = 0
        try withGError("Locking sysroot") { ostree_sysroot_try_lock(pointer, &acquired, $0) }
        locked = acquired != 0
        return locked
    }

    /// Takes the sysroot lock, waiting for another holder to let go.
    public func lock() throws {
        try withGError("Locking sysroot") { ostree_sysroot_lock(pointer, $0) }
        locked = true
    }

    /// Releases the sysroot lock.
    public func unlock() {
        if locked { ostree_sysroot_unlock(pointer) }
        locked = false
    }

    /// Checks out `revision` as a new deployment of `osname` (not yet in the boot list),
    /// with /etc merged from `merge` and the kernel arguments given (or the merge
    /// deployment's when nil). With `stage`, the deployment is staged instead: it becomes the
    /// default at the next shutdown (booted systems only).
    /// `overlayInitrds` are checksums from `stageOverlayInitrd`, loaded after the initramfs.
    public func deployTree(osname: String, revision: String, origin: KeyFile?, merge: Deployment?,
                           kernelArgs: [String]?, overlayInitrds: [String] = [], stage: Bool = false) throws -> Deployment {
        var out: OpaquePointer? = nil
        try withOptionalStrv(kernelArgs) { argv in
          try withOptionalStrv(overlayInitrds.isEmpty ? nil : overlayInitrds) { initrds in
            var opts = OstreeSysrootDeployTreeOpts()
            opts.override_kernel_argv = argv
            opts.overlay_initrds = initrds
            try withGError(stage ? "Staging \(revision)" : "Deploying \(revision)") {
                stage
                    ? ostree_sysroot_stage_tree_with_options(pointer, osname, revision, origin?.pointer,
                                                             merge?.pointer, &opts, &out, nil, $0)
                    : ostree_sysroot_deploy_tree_with_options(pointer, osname, revision, origin?.pointer,
                                                              merge?.pointer, &opts, &out, nil, $0)
            }
          }
        }
        guard let out else { throw GLibError(message: "Deploying \(revision): no deployment") }
        return Deployment(adopting: UnsafeMutableRawPointer(out))
    }

    /// libostree's unlock of `deployment` (an overlayfs on /usr of the running system):
    /// `development` writable until reboot, `hotfix` writable and kept (a rollback copy is
    /// made first), `transient` read-only except in a private mount namespace.
    public func unlock(_ deployment: Deployment, state: String) throws {
        let value: OstreeDeploymentUnlockedState
        switch state {
        case "development": value = OSTREE_DEPLOYMENT_UNLOCKED_DEVELOPMENT
        case "hotfix": value = OSTREE_DEPLOYMENT_UNLOCKED_HOTFIX
        case "transient": value = OSTREE_DEPLOYMENT_UNLOCKED_TRANSIENT
        default: throw GLibError(message: "Unknown unlock state \(state)")
        }
        try withGError("Unlocking \(deployment.id)") { ostree_sysroot_deployment_unlock(pointer, deployment.pointer, value, nil, $0) }
    }

    /// Keeps the cpio archive read from `fd` under /boot as an overlay initrd (libostree's
    /// initramfs-etc mechanism); returns the checksum `deployTree` takes.
    public func stageOverlayInitrd(fd: Int32) throws -> String {
        var out: UnsafeMutablePointer<CChar>? = nil
        try withGError("Staging the overlay initrd") { ostree_sysroot_stage_overlay_initrd(pointer, fd, &out, nil, $0) }
        return takeString(out) ?? ""
    }

    /// Makes `new` the default deployment of its osname, keeping the booted and `merge`
    /// deployments (rpm-ostree's policy: pending + booted; older ones of that osname go).
    public func simpleWriteDeployment(osname: String, new: Deployment, merge: Deployment?,
                                      retainRollback: Bool = false) throws {
        var flags = OSTREE_SYSROOT_SIMPLE_WRITE_DEPLOYMENT_FLAGS_NO_CLEAN.rawValue
        if retainRollback { flags |= OSTREE_SYSROOT_SIMPLE_WRITE_DEPLOYMENT_FLAGS_RETAIN_ROLLBACK.rawValue }
        try withGError("Writing deployment") {
            ostree_sysroot_simple_write_deployment(pointer, osname, new.pointer, merge?.pointer,
                                                   OstreeSysrootSimpleWriteDeploymentFlags(flags), nil, $0)
        }
    }

    /// Writes a new deployment list: the one atomic switch of the boot configuration.
    public func writeDeployments(_ list: [Deployment], postclean: Bool = false) throws {
        let arr = aot_ptr_array_new_objects()!
        defer { g_ptr_array_unref(arr) }
        for d in list { g_ptr_array_add(arr, g_object_ref(d.raw)) }
        var opts = OstreeSysrootWriteDeploymentsOpts()
        opts.do_postclean = postclean ? 1 : 0
        try withGError("Writing deployments") {
            ostree_sysroot_write_deployments_with_options(pointer, arr, &opts, nil, $0)
        }
    }

    /// Deletes deployment folders and boot files no longer listed, then prunes the repo of
    /// objects that neither a ref tip nor a deployment reaches (libostree's depth 0).
    ///
    /// This is `ostree_sysroot_cleanup` in its two halves, so that libostree does not print
    /// "Freed objects" on our stdout; the caller reports the figures instead.
    @discardableResult
    public func cleanup() throws -> (pruned: Int32, freed: UInt64) {
        try withGError("Cleaning up sysroot") { ostree_sysroot_prepare_cleanup(pointer, nil, $0) }
        let reachable = ostree_repo_traverse_new_reachable()
        defer { g_hash_table_unref(reachable) }
        var opts = OstreeRepoPruneOptions()
        opts.flags = OSTREE_REPO_PRUNE_FLAGS_REFS_ONLY
        opts.reachable = reachable
        var total: gint = 0, pruned: gint = 0
        var freed: guint64 = 0
        try withGError("Pruning system repository") {
            ostree_sysroot_cleanup_prune_repo(pointer, &opts, &total, &pruned, &freed, nil, $0)
        }
        return (pruned, UInt64(freed))
    }

}

/// Passes nil through, or a temporary `char **` for a list.
private func withOptionalStrv<R>(_ list: [String]?, _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws -> R) rethrows -> R {
    guard let list else { return try body(nil) }
    return try withStrv(list) { try body($0) }
}
