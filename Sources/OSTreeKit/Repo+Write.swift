import CLibOSTree
import COSTreeShims
#if canImport(Glibc)
import Glibc
#endif

/// A value for commit metadata or pull options (GVariant types in brackets).
public enum MetadataValue: Sendable, Equatable {
    /// `s`
    case string(String)
    /// `b`
    case bool(Bool)
    /// `t`
    case uint64(UInt64)
    /// `i`
    case int32(Int32)
    /// `as`
    case strings([String])
    /// `a(sss)`: one tuple of three strings per element (packages: name, version, architecture).
    case stringTriples([[String]])

    /// A new floating GVariant.
    func variant() -> OpaquePointer {
        switch self {
        case .string(let s): return g_variant_new_string(s)
        case .bool(let b): return g_variant_new_boolean(b ? 1 : 0)
        case .uint64(let v): return g_variant_new_uint64(guint64(v))
        case .int32(let v): return g_variant_new_int32(v)
        case .strings(let list):
            return withStrv(list) { g_variant_new_strv(UnsafePointer(OpaquePointer($0)), gssize(list.count)) }
        case .stringTriples(let list):
            let type = g_variant_type_new("a(sss)")
            defer { g_variant_type_free(type) }
            let b = g_variant_builder_new(type)!
            defer { g_variant_builder_unref(b) }
            for p in list {
                var children: [OpaquePointer?] = (0..<3).map { g_variant_new_string($0 < p.count ? p[$0] : "") }
                g_variant_builder_add_value(b, g_variant_new_tuple(&children, 3))
            }
            return g_variant_builder_end(b)
        }
    }
}

/// Builds an `a{sv}` dictionary; the result is a new strong reference.
func makeVardict(_ entries: [String: MetadataValue]) -> OpaquePointer {
    let type = g_variant_type_new("a{sv}")
    defer { g_variant_type_free(type) }
    let b = g_variant_builder_new(type)!
    defer { g_variant_builder_unref(b) }
    for key in entries.keys.sorted() {
        g_variant_builder_add_value(b, g_variant_new_dict_entry(g_variant_new_string(key), g_variant_new_variant(entries[key]!.variant())))
    }
    return g_variant_ref_sink(g_variant_builder_end(b))
}

extension Repo {
    /// Opens the repository at `path`; fails with a one-line message when there is none.
    public static func open(path: String) throws -> Repo {
        var st = stat()
        guard stat(path + "/config", &st) == 0, stat(path + "/objects", &st) == 0 else {
            throw GLibError(domain: "g-io-error-quark", code: Int32(G_IO_ERROR_NOT_FOUND.rawValue),
                            message: "\(path) is not an OSTree repository (create one with 'ostree init --repo=\(path) --mode=archive')")
        }
        let file = GFileRef(path: path)
        let repo = Repo(adopting: UnsafeMutableRawPointer(ostree_repo_new(file.pointer)))
        try withGError("Opening repo \(path)") { ostree_repo_open(repo.pointer, nil, $0) }
        return repo
    }

    /// What `writeCommit` produced.
    public struct CommitResult: Sendable {
        /// The new commit's checksum; nil when `skipIfUnchanged` found the same content.
        public var checksum: String?
        /// The content checksum of the tree (root dirtree and dirmeta).
        public var contentChecksum: String
    }

    /// Commits the folder `directory` in one repo transaction: the files with their owners,
    /// modes and xattrs, then the commit with `metadata`, then (when `ref` is given) the ref.
    /// Nothing is visible until the transaction commits; on any error it is aborted, so the
    /// repo's refs stay as they were. With `skipIfUnchanged`, a tree whose content equals the
    /// parent's aborts the transaction and returns no checksum.
    public func writeCommit(directory: String, parent: String?, subject: String,
                            metadata: [String: MetadataValue], ref: String?, timestamp: UInt64,
                            skipIfUnchanged: Bool = false) throws -> CommitResult {
        try withGError("Preparing repo transaction") { ostree_repo_prepare_transaction(pointer, nil, nil, $0) }
        var committed = false
        defer { if !committed { ostree_repo_abort_transaction(pointer, nil, nil) } }

        let mtree = ostree_mutable_tree_new()
        defer { g_object_unref(UnsafeMutableRawPointer(mtree)) }
        try withGError("Committing \(directory)") {
            ostree_repo_write_dfd_to_mtree(pointer, AT_FDCWD, directory, mtree, nil, nil, $0)
        }
        var root: OpaquePointer? = nil
        try withGError("Writing tree of \(directory)") { ostree_repo_write_mtree(pointer, mtree, &root, nil, $0) }
        guard let root else { throw GLibError(message: "Writing tree of \(directory): no root") }
        defer { g_object_unref(UnsafeMutableRawPointer(root)) }
        let repoFile = root
        let content = String(cString: ostree_repo_file_tree_get_contents_checksum(repoFile))
            + String(cString: ostree_repo_file_tree_get_metadata_checksum(repoFile))

        if skipIfUnchanged, let parent, let old = try loadCommitIfPresent(parent), old.rootChecksums == content {
            return CommitResult(checksum: nil, contentChecksum: content)
        }

        let checksum = try finishCommit(root: repoFile, parent: parent, subject: subject, metadata: metadata,
                                        ref: ref, timestamp: timestamp)
        committed = true
        return CommitResult(checksum: checksum, contentChecksum: content)
    }

    /// The last steps of a commit inside a prepared transaction: the commit object over the
    /// written `root` tree, the ref, and the transaction's commit (the one moment the new
    /// state becomes visible).
    func finishCommit(root: OpaquePointer, parent: String?, subject: String, metadata: [String: MetadataValue],
                      ref: String?, timestamp: UInt64) throws -> String {
        let meta = makeVardict(metadata)
        defer { g_variant_unref(meta) }
        var out: UnsafeMutablePointer<CChar>? = nil
        try withGError("Writing commit") {
            ostree_repo_write_commit_with_time(pointer, parent, subject, nil, meta, root, guint64(timestamp), &out, nil, $0)
        }
        guard let checksum = takeString(out) else { throw GLibError(message: "Writing commit: no checksum") }
        if let ref { ostree_repo_transaction_set_ref(pointer, nil, ref, checksum) }
        try withGError("Committing repo transaction") { ostree_repo_commit_transaction(pointer, nil, nil, $0) }
        return checksum
    }

    /// Pulls `refs` from another repository on this machine (`file://` URL), writing them as
    /// local refs here (what `ostree pull-local` does).
    public func pullLocal(from path: String, refs: [String]) throws {
        let opts = makeVardict(["refs": .strings(refs)])
        defer { g_variant_unref(opts) }
        try withGError("Pulling \(refs.joined(separator: ", ")) from \(path)") {
            ostree_repo_pull_with_options(pointer, "file://" + path, opts, nil, nil, $0)
        }
    }

    /// Sets `section.key` in the repo's config file.
    public func setConfig(_ section: String, _ key: String, _ value: String) throws {
        let kf = ostree_repo_copy_config(pointer)!
        defer { g_key_file_unref(kf) }
        g_key_file_set_string(kf, section, key, value)
        try withGError("Writing repo config") { ostree_repo_write_config(pointer, kf, $0) }
    }
}

extension Commit {
    /// The root dirtree and dirmeta checksums, concatenated (the tree's identity).
    var rootChecksums: String {
        let tree = g_variant_get_child_value(variant, 6)!
        let meta = g_variant_get_child_value(variant, 7)!
        defer { g_variant_unref(tree); g_variant_unref(meta) }
        return takeString(ostree_checksum_from_bytes_v(tree)).map { $0 + (takeString(ostree_checksum_from_bytes_v(meta)) ?? "") } ?? ""
    }

    /// The `a(sss)` value stored under `key`, one three-string array per tuple; nil when absent.
    public func metadataStringTriples(_ key: String) -> [[String]]? {
        let meta = aot_commit_get_metadata(variant)
        defer { g_variant_unref(meta) }
        let type = g_variant_type_new("a(sss)")
        defer { g_variant_type_free(type) }
        guard let v = g_variant_lookup_value(meta, key, type) else { return nil }
        defer { g_variant_unref(v) }
        return (0..<Int(g_variant_n_children(v))).map { i in
            let t = g_variant_get_child_value(v, gsize(i))!
            defer { g_variant_unref(t) }
            func field(_ j: Int) -> String {
                let s = g_variant_get_child_value(t, gsize(j))!
                defer { g_variant_unref(s) }
                return String(cString: g_variant_get_string(s, nil))
            }
            return [field(0), field(1), field(2)]
        }
    }
}

/// The SHA-256 of `text`, in hex (GLib's GChecksum).
public func sha256Hex(_ text: String) -> String {
    takeString(g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1)) ?? ""
}
