import CLibOSTree
import COSTreeShims
#if canImport(Glibc)
import Glibc
#endif

extension Repo {
    /// Checks `commit` out at `path` (which must not exist) as hard links to the repo's
    /// objects: fast, and shares storage. Nothing may write into such a checkout directly
    /// (it would change the objects); layering reads it only as an overlayfs lower layer.
    public func checkoutHardlinked(_ commit: String, to path: String) throws {
        var opts = OstreeRepoCheckoutAtOptions()
        opts.mode = OSTREE_REPO_CHECKOUT_MODE_NONE
        opts.overwrite_mode = OSTREE_REPO_CHECKOUT_OVERWRITE_NONE
        opts.no_copy_fallback = 0
        try withGError("Checking out \(commit.prefix(12))") {
            ostree_repo_checkout_at(pointer, &opts, AT_FDCWD, path, commit, nil, $0)
        }
    }

    /// Commits a layer on top of `base` in one transaction: the base's tree, minus
    /// `removals` (overlayfs whiteouts) and minus the old content of `opaqueDirectories`,
    /// plus every file of the folder `upper`; the commit's parent is `base`. Only `upper` is
    /// read from disk, so the cost follows the size of the layer, not of the tree.
    public func writeLayerCommit(base: String, upper: String, removals: [String], opaqueDirectories: [String],
                                 subject: String, metadata: [String: MetadataValue], ref: String?,
                                 timestamp: UInt64) throws -> String {
        try withGError("Preparing repo transaction") { ostree_repo_prepare_transaction(pointer, nil, nil, $0) }
        var committed = false
        defer { if !committed { ostree_repo_abort_transaction(pointer, nil, nil) } }

        let mtree = try withGError("Loading tree of \(base.prefix(12))") { ostree_mutable_tree_new_from_commit(pointer, base, $0) }
        guard let mtree else { throw GLibError(message: "Loading tree of \(base.prefix(12)): no tree") }
        defer { g_object_unref(UnsafeMutableRawPointer(mtree)) }
        for path in removals + opaqueDirectories {
            try removePath(path, from: mtree)
        }
        try withGError("Committing \(upper)") {
            ostree_repo_write_dfd_to_mtree(pointer, AT_FDCWD, upper, mtree, nil, nil, $0)
        }
        var root: OpaquePointer? = nil
        try withGError("Writing tree") { ostree_repo_write_mtree(pointer, mtree, &root, nil, $0) }
        guard let root else { throw GLibError(message: "Writing tree: no root") }
        defer { g_object_unref(UnsafeMutableRawPointer(root)) }
        let checksum = try finishCommit(root: root, parent: base, subject: subject, metadata: metadata, ref: ref, timestamp: timestamp)
        committed = true
        return checksum
    }

    /// Removes `path` (relative to the tree root, `a/b/c`) from a mutable tree; a path
    /// that is not there is fine.
    private func removePath(_ path: String, from mtree: OpaquePointer) throws {
        let parts = path.split(separator: "/").map(String.init)
        guard let last = parts.last else { return }
        var dir = mtree
        var owned: [OpaquePointer] = []
        defer { owned.forEach { g_object_unref(UnsafeMutableRawPointer($0)) } }
        for name in parts.dropLast() {
            var fileChecksum: UnsafeMutablePointer<CChar>? = nil
            var sub: OpaquePointer? = nil
            var error: UnsafeMutablePointer<GError>? = nil
            let ok = ostree_mutable_tree_lookup(dir, name, &fileChecksum, &sub, &error)
            g_free(fileChecksum)
            if let error { g_error_free(error) }
            guard ok != 0, let sub else { return }
            owned.append(sub)
            dir = sub
        }
        try withGError("Removing \(path) from the tree") { ostree_mutable_tree_remove(dir, last, 1, $0) }
    }
}

extension Repo {
    /// The text of `path` (`/usr/lib/...`) in `commit`, read from the repo without a checkout;
    /// nil when the file is not there.
    public func readFile(commit: String, path: String) throws -> String? {
        var root: OpaquePointer? = nil
        var out: UnsafeMutablePointer<CChar>? = nil
        try withGError("Reading commit \(commit.prefix(12))") { ostree_repo_read_commit(pointer, commit, &root, &out, nil, $0) }
        g_free(out)
        guard let root else { return nil }
        defer { g_object_unref(UnsafeMutableRawPointer(root)) }
        guard let file = g_file_resolve_relative_path(root, String(path.drop(while: { $0 == "/" }))) else { return nil }
        defer { g_object_unref(UnsafeMutableRawPointer(file)) }
        var contents: UnsafeMutablePointer<CChar>? = nil
        var length: gsize = 0
        var error: UnsafeMutablePointer<GError>? = nil
        guard g_file_load_contents(file, nil, &contents, &length, nil, &error) != 0, let contents else {
            if let error { g_error_free(error) }
            return nil
        }
        defer { g_free(contents) }
        return String(decoding: UnsafeRawBufferPointer(start: contents, count: Int(length)), as: UTF8.self)
    }

    /// Points `ref` at `checksum` now (outside a transaction); nil deletes it.
    public func setRef(_ ref: String, to checksum: String?) throws {
        try withGError("Setting ref \(ref)") { ostree_repo_set_ref_immediate(pointer, nil, ref, checksum, nil, $0) }
    }

    /// Sets (or with nil deletes) the remote ref `remote:ref`, the pull's view of the server.
    public func setRemoteRef(remote: String, _ ref: String, to checksum: String?) throws {
        try withGError("Setting ref \(remote):\(ref)") { ostree_repo_set_ref_immediate(pointer, remote, ref, checksum, nil, $0) }
    }

    /// Whether the commit is here only as metadata (a commit-only pull), its tree missing.
    public func commitIsPartial(_ checksum: String) throws -> Bool {
        var state = OstreeRepoCommitState(rawValue: 0)
        try withGError("Loading commit \(checksum)") { ostree_repo_load_commit(pointer, checksum, nil, &state, $0) }
        return state.rawValue & OSTREE_REPO_COMMIT_STATE_PARTIAL.rawValue != 0
    }

    /// The local refs starting with `prefix`, with their commits.
    public func refs(prefix: String) throws -> [String: String] {
        var table: OpaquePointer? = nil
        try withGError("Listing refs") { ostree_repo_list_refs(pointer, nil, &table, nil, $0) }
        guard let table else { return [:] }
        defer { g_hash_table_unref(table) }
        var out: [String: String] = [:]
        var iter = GHashTableIter()
        g_hash_table_iter_init(&iter, table)
        var k: gpointer? = nil, v: gpointer? = nil
        while g_hash_table_iter_next(&iter, &k, &v) != 0 {
            guard let k, let v else { continue }
            let ref = String(cString: k.assumingMemoryBound(to: CChar.self))
            if ref.hasPrefix(prefix) { out[ref] = String(cString: v.assumingMemoryBound(to: CChar.self)) }
        }
        return out
    }
}

/// What changed between two commits (libostree's diff): paths as in the tree.
public struct TreeDiff: Sendable, Equatable {
    public var modified: [String] = []
    public var removed: [String] = []
    /// An added folder is one entry; its content comes with it.
    public var added: [String] = []

    public var isEmpty: Bool { modified.isEmpty && removed.isEmpty && added.isEmpty }
    /// `N modified, N removed, N added`.
    public var summary: String { "\(modified.count) modified, \(removed.count) removed, \(added.count) added" }
}

extension Repo {
    /// The changes from commit `from` to commit `to` below `subpath` (e.g. `usr`).
    public func diff(from: String, to: String, subpath: String? = nil) throws -> TreeDiff {
        var m: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        var r: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        var a: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        try withGError("Comparing \(from.prefix(12)) with \(to.prefix(12))") { aot_diff_commits(pointer, from, to, subpath, &m, &r, &a, $0) }
        return TreeDiff(modified: takeStrv(m).sorted(), removed: takeStrv(r).sorted(), added: takeStrv(a).sorted())
    }
}
