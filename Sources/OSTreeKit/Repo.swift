import CLibOSTree
import COSTreeShims

/// An OSTree repository (borrowed from a sysroot or opened on its own).
public final class Repo: GObjectRef, @unchecked Sendable {
    var pointer: OpaquePointer { OpaquePointer(raw) }

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
