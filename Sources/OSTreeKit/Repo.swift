import CLibOSTree
import COSTreeShims

/// An OSTree repository (borrowed from a sysroot or opened on its own).
public final class Repo: GObjectRef, @unchecked Sendable {
    var pointer: OpaquePointer { OpaquePointer(raw) }

    /// Opens the repository at `path`.
    public static func open(path: String) throws -> Repo {
        let file = GFileRef(path: path)
        let repo = Repo(adopting: UnsafeMutableRawPointer(ostree_repo_new(file.pointer)))
        try withGError("Opening repo \(path)") { ostree_repo_open(repo.pointer, nil, $0) }
        return repo
    }

    /// Resolves a ref, `remote:ref` or checksum to a commit checksum; nil when the ref
    /// does not exist and `allowMissing` is set.
    public func resolve(_ refspec: String, allowMissing: Bool = false) throws -> String? {
        var out: UnsafeMutablePointer<CChar>? = nil
        try withGError("Resolving \(refspec)") {
            ostree_repo_resolve_rev(pointer, refspec, allowMissing ? 1 : 0, &out, $0)
        }
        return takeString(out)
    }

    /// Loads a commit object.
    public func loadCommit(_ checksum: String) throws -> Commit {
        var v: OpaquePointer? = nil
        try withGError("Loading commit \(checksum)") {
            ostree_repo_load_variant(pointer, OSTREE_OBJECT_TYPE_COMMIT, checksum, &v, $0)
        }
        guard let v else { throw GLibError(message: "Loading commit \(checksum): no object") }
        return Commit(checksum: checksum, adopting: v)
    }

    /// Loads a commit, or nil when the object is not in the repo (a partial pull, a pruned parent).
    public func loadCommitIfPresent(_ checksum: String) throws -> Commit? {
        var v: OpaquePointer? = nil
        try withGError("Loading commit \(checksum)") {
            ostree_repo_load_variant_if_exists(pointer, OSTREE_OBJECT_TYPE_COMMIT, checksum, &v, $0)
        }
        return v.map { Commit(checksum: checksum, adopting: $0) }
    }

    /// The local refs (`ref` -> checksum), and with `remotes` also `remote:ref` entries.
    public func refs(prefix: String? = nil) throws -> [String: String] {
        var table: OpaquePointer? = nil
        try withGError("Listing refs") { ostree_repo_list_refs(pointer, prefix, &table, nil, $0) }
        guard let table else { return [:] }
        defer { g_hash_table_unref(table) }
        var out: [String: String] = [:]
        var iter = GHashTableIter()
        g_hash_table_iter_init(&iter, table)
        var k: gpointer? = nil, v: gpointer? = nil
        while g_hash_table_iter_next(&iter, &k, &v) != 0 {
            if let k, let v {
                let name = String(cString: k.assumingMemoryBound(to: CChar.self))
                out[prefix.map { "\($0)/\(name)" } ?? name] = String(cString: v.assumingMemoryBound(to: CChar.self))
            }
        }
        return out
    }

    /// Points `ref` at `checksum` at once (or deletes it when checksum is nil).
    public func setRef(_ ref: String, remote: String? = nil, to checksum: String?) throws {
        try withGError("Setting ref \(ref)") {
            ostree_repo_set_ref_immediate(pointer, remote, ref, checksum, nil, $0)
        }
    }

    /// Deletes unreachable objects; returns (objects total, objects pruned, bytes freed).
    public func prune(refsOnly: Bool = true) throws -> (total: Int32, pruned: Int32, freed: UInt64) {
        var total: gint = 0, pruned: gint = 0
        var freed: guint64 = 0
        let flags = refsOnly ? OSTREE_REPO_PRUNE_FLAGS_REFS_ONLY : OSTREE_REPO_PRUNE_FLAGS_NONE
        try withGError("Pruning repo") {
            ostree_repo_prune(pointer, flags, -1, &total, &pruned, &freed, nil, $0)
        }
        return (total, pruned, UInt64(freed))
    }
}

/// A commit object: its metadata, timestamp, parent and subject.
public final class Commit: @unchecked Sendable {
    /// The commit's checksum.
    public let checksum: String
    let variant: OpaquePointer

    init(checksum: String, adopting v: OpaquePointer) {
        self.checksum = checksum
        self.variant = v
    }

    deinit { g_variant_unref(variant) }

    /// Seconds since the epoch, UTC.
    public var timestamp: UInt64 { UInt64(ostree_commit_get_timestamp(variant)) }

    /// The parent commit's checksum, if any.
    public var parent: String? { takeString(ostree_commit_get_parent(variant)) }

    /// The commit subject line.
    public var subject: String { aot_commit_get_subject(variant).map { String(cString: $0) } ?? "" }

    /// A string value of the commit metadata (`version`, ...).
    public func metadataString(_ key: String) -> String? {
        let meta = aot_commit_get_metadata(variant)
        defer { g_variant_unref(meta) }
        return takeString(aot_variant_lookup_string(meta, key))
    }

    /// A string-list value (`as`) of the commit metadata.
    public func metadataStrings(_ key: String) -> [String]? {
        let meta = aot_commit_get_metadata(variant)
        defer { g_variant_unref(meta) }
        let p = aot_variant_lookup_strv(meta, key)
        return p == nil ? nil : takeStrv(p)
    }

    /// A boolean value of the commit metadata, nil when absent.
    public func metadataBool(_ key: String) -> Bool? {
        let meta = aot_commit_get_metadata(variant)
        defer { g_variant_unref(meta) }
        var found: gboolean = 0
        let v = aot_variant_lookup_bool(meta, key, &found)
        return found != 0 ? v != 0 : nil
    }

    /// `version` from the metadata (OSTREE_COMMIT_META_KEY_VERSION).
    public var version: String? { metadataString("version") }
}
