import CLibOSTree
import COSTreeShims
#if canImport(Glibc)
import Glibc
#endif

extension Repo {
    /// Adds remote `name` at `url` with options (`gpg-verify`, `sign-verify`,
    /// `verification-ed25519-key`, ...), as `ostree remote add` does.
    public func remoteAdd(_ name: String, url: String, options: [String: MetadataValue]) throws {
        let opts = makeVardict(options)
        defer { g_variant_unref(opts) }
        try withGError("Adding remote \(name)") { ostree_repo_remote_add(pointer, name, url, opts, nil, $0) }
    }

    /// Imports the GPG keys in the file `path` (armored or binary) as trusted for remote
    /// `name`; returns how many were imported.
    @discardableResult
    public func remoteImportGPGKeys(_ name: String, from path: String) throws -> UInt32 {
        let file = GFileRef(path: path)
        var error: UnsafeMutablePointer<GError>? = nil
        guard let stream = g_file_read(file.pointer, nil, &error) else {
            let message = error.map { String(cString: $0.pointee.message) } ?? "cannot read"
            if let error { g_error_free(error) }
            throw GLibError(message: "Reading GPG keys \(path): \(message)")
        }
        defer { g_object_unref(UnsafeMutableRawPointer(stream)) }
        var imported: guint = 0
        try withGError("Importing GPG keys from \(path) for remote \(name)") {
            ostree_repo_remote_gpg_import(pointer, name, UnsafeMutableRawPointer(stream).assumingMemoryBound(to: GInputStream.self), nil, &imported, nil, $0)
        }
        return imported
    }

    /// Deletes remote `name`.
    public func remoteDelete(_ name: String) throws {
        try withGError("Deleting remote \(name)") { ostree_repo_remote_delete(pointer, name, nil, $0) }
    }

    /// The remotes' names, sorted.
    public func remoteList() -> [String] {
        var n: guint = 0
        return takeStrv(ostree_repo_remote_list(pointer, &n)).sorted()
    }

    /// The URL of remote `name`.
    public func remoteURL(_ name: String) throws -> String {
        var out: UnsafeMutablePointer<CChar>? = nil
        try withGError("Reading remote \(name)") { ostree_repo_remote_get_url(pointer, name, &out, $0) }
        return takeString(out) ?? ""
    }

    /// Pulls `refs` from `remote` (HTTP, with the remote's signature checks and static
    /// deltas when the server has them). With `commitOnly`, only the commit objects come
    /// (enough for metadata: versions and package lists). `progress` gets libostree's status
    /// line now and then.
    public func pull(remote: String, refs: [String], commitOnly: Bool = false, progress: ((String) -> Void)? = nil) throws {
        var opts: [String: MetadataValue] = ["refs": .strings(refs)]
        if commitOnly { opts["flags"] = .int32(Int32(OSTREE_REPO_PULL_FLAGS_COMMIT_ONLY.rawValue)) }
        let v = makeVardict(opts)
        defer { g_variant_unref(v) }
        // libostree's pull iterates the thread-default main context; on a thread without
        // one that is the global default, which the daemon's main loop owns: give the pull a
        // context of its own (the progress callback runs there too).
        let context = g_main_context_new()
        g_main_context_push_thread_default(context)
        defer {
            g_main_context_pop_thread_default(context)
            g_main_context_unref(context)
        }
        let box = ProgressBox(progress)
        let unmanaged = Unmanaged.passRetained(box)
        defer { unmanaged.release() }
        let asyncProgress = progress == nil ? nil : ostree_async_progress_new_and_connect({ p, data in
            guard let p, let data else { return }
            let box = Unmanaged<ProgressBox>.fromOpaque(data).takeUnretainedValue()
            guard let s = ostree_async_progress_get_status(p) else {
                let fetched = ostree_async_progress_get_uint(p, "fetched"), requested = ostree_async_progress_get_uint(p, "requested")
                let bytes = ostree_async_progress_get_uint64(p, "bytes-transferred")
                box.report("Receiving objects: \(fetched)/\(requested), \(bytes / 1000) kB")
                return
            }
            defer { g_free(s) }
            box.report(String(cString: s))
        }, unmanaged.toOpaque())
        defer {
            if let asyncProgress {
                ostree_async_progress_finish(asyncProgress)
                g_object_unref(UnsafeMutableRawPointer(asyncProgress))
            }
        }
        try withGError("Pulling \(refs.joined(separator: ", ")) from \(remote)") {
            ostree_repo_pull_with_options(pointer, remote, v, asyncProgress, nil, $0)
        }
        // libostree's last status line sums the pull up (objects, bytes, seconds).
        if let asyncProgress, let s = ostree_async_progress_get_status(asyncProgress) {
            defer { g_free(s) }
            box.report(String(cString: s), force: true)
        }
    }
}

/// Carries a Swift progress callback through libostree's `user_data`, at most a line a second.
private final class ProgressBox: @unchecked Sendable {
    let callback: ((String) -> Void)?
    var last: time_t = 0
    var lastText = ""
    init(_ callback: ((String) -> Void)?) { self.callback = callback }
    func report(_ text: String, force: Bool = false) {
        let now = time(nil)
        guard force || now != last, text != lastText, !text.isEmpty else { return }
        last = now
        lastText = text
        callback?(text)
    }
}
