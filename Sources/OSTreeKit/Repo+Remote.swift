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
    /// (enough for metadata: versions and package lists). `progress` gets a `PullProgress`
    /// at most once a second and a summary at the end; `isCancelled` is asked five times a
    /// second, and a true answer stops the pull (a `PullCancelled` error; what was fetched
    /// stays in the repo as loose objects, no ref moves).
    /// `depth` also fetches that many parents (-1: the whole history); `commit` fetches that
    /// commit of the (single) ref instead of its head, and points the ref at it.
    public func pull(remote: String, refs: [String], commitOnly: Bool = false, depth: Int32 = 0, commit: String? = nil,
                     progress: ((PullProgress) -> Void)? = nil, isCancelled: (() -> Bool)? = nil) throws {
        var opts: [String: MetadataValue] = ["refs": .strings(refs)]
        if commitOnly { opts["flags"] = .int32(Int32(OSTREE_REPO_PULL_FLAGS_COMMIT_ONLY.rawValue)) }
        if depth != 0 { opts["depth"] = .int32(depth) }
        if let commit { opts["override-commit-ids"] = .strings([commit]) }
        let v = makeVardict(opts)
        defer { g_variant_unref(v) }
        // libostree's pull iterates the thread-default main context; on a thread without
        // one that is the global default, which the daemon's main loop owns: give the pull a
        // context of its own (the progress callback and the cancel check run there too).
        let context = g_main_context_new()
        g_main_context_push_thread_default(context)
        defer {
            g_main_context_pop_thread_default(context)
            g_main_context_unref(context)
        }
        let cancellable = g_cancellable_new()
        defer { g_object_unref(UnsafeMutableRawPointer(cancellable)) }
        let box = PullBox(progress: progress, isCancelled: isCancelled, cancellable: cancellable)
        let unmanaged = Unmanaged.passRetained(box)
        defer { unmanaged.release() }
        var timer: UnsafeMutablePointer<GSource>? = nil
        if isCancelled != nil {
            timer = g_timeout_source_new(200)
            g_source_set_callback(timer, { data in
                guard let data else { return 0 }
                let box = Unmanaged<PullBox>.fromOpaque(data).takeUnretainedValue()
                if box.isCancelled?() == true { g_cancellable_cancel(box.cancellable) }
                return 1
            }, unmanaged.toOpaque(), nil)
            g_source_attach(timer, context)
        }
        defer {
            if let timer {
                g_source_destroy(timer)
                g_source_unref(timer)
            }
        }
        let asyncProgress = progress == nil ? nil : ostree_async_progress_new_and_connect({ p, data in
            guard let p, let data else { return }
            Unmanaged<PullBox>.fromOpaque(data).takeUnretainedValue().report(PullProgress(p))
        }, unmanaged.toOpaque())
        defer {
            if let asyncProgress {
                ostree_async_progress_finish(asyncProgress)
                g_object_unref(UnsafeMutableRawPointer(asyncProgress))
            }
        }
        do {
            try withGError("Pulling \(refs.joined(separator: ", ")) from \(remote)") {
                ostree_repo_pull_with_options(pointer, remote, v, asyncProgress, cancellable, $0)
            }
        } catch {
            if g_cancellable_is_cancelled(cancellable) != 0 { throw PullCancelled() }
            throw error
        }
        if let asyncProgress { box.report(PullProgress(asyncProgress).summary, force: true) }
    }
}

/// A pull stopped because it was cancelled.
public struct PullCancelled: Error, CustomStringConvertible {
    public var description: String { "Pull cancelled" }
}

/// Where a pull stands, from libostree's progress keys: what is being fetched, how much of
/// it (`percent` when the total is known), the rate and the time left. (The engine words it.)
public struct PullProgress: Sendable, Equatable {
    public var status = ""
    public var fetched: UInt32 = 0
    public var requested: UInt32 = 0
    public var outstandingMetadataFetches: UInt32 = 0
    public var bytes: UInt64 = 0
    public var seconds: Double = 0
    public var deltaParts: (fetched: UInt32, total: UInt32) = (0, 0)
    public var deltaBytes: (fetched: UInt64, total: UInt64) = (0, 0)
    /// The closing figures of a finished pull (set by `summary`).
    public internal(set) var isSummary = false

    /// Equal figures (the time aside): nothing new to report.
    public static func == (a: PullProgress, b: PullProgress) -> Bool {
        a.status == b.status && a.fetched == b.fetched && a.requested == b.requested && a.bytes == b.bytes
            && a.outstandingMetadataFetches == b.outstandingMetadataFetches && a.isSummary == b.isSummary
            && a.deltaParts == b.deltaParts && a.deltaBytes == b.deltaBytes
    }

    public init() {}

    init(_ p: OpaquePointer) {
        if let s = ostree_async_progress_get_status(p) {
            status = String(cString: s)
            g_free(s)
        }
        fetched = ostree_async_progress_get_uint(p, "fetched")
        requested = ostree_async_progress_get_uint(p, "requested")
        outstandingMetadataFetches = ostree_async_progress_get_uint(p, "outstanding-metadata-fetches")
        bytes = UInt64(ostree_async_progress_get_uint64(p, "bytes-transferred"))
        let start = Int64(ostree_async_progress_get_uint64(p, "start-time"))
        let now = Int64(g_get_monotonic_time())
        seconds = start == 0 ? 0 : Double(max(0, now - start)) / 1_000_000
        deltaParts = (ostree_async_progress_get_uint(p, "fetched-delta-parts"), ostree_async_progress_get_uint(p, "total-delta-parts"))
        deltaBytes = (UInt64(ostree_async_progress_get_uint64(p, "fetched-delta-part-size")),
                      UInt64(ostree_async_progress_get_uint64(p, "total-delta-part-size")))
    }

    /// The same figures, as the closing line.
    var summary: PullProgress {
        var s = self
        s.isSummary = true
        return s
    }

    /// Bytes a second so far.
    public var rate: Double { seconds > 0.05 ? Double(bytes) / seconds : 0 }

    /// How far along, when libostree knows the total.
    public var percent: Int? {
        if isSummary || !status.isEmpty { return nil }
        if deltaParts.total > 0, deltaBytes.total > 0 { return Int(min(100, deltaBytes.fetched * 100 / deltaBytes.total)) }
        if outstandingMetadataFetches == 0, requested > 0 { return Int(min(100, UInt64(fetched) * 100 / UInt64(requested))) }
        return nil
    }

    /// Seconds left at the rate so far, when it can be told.
    public var secondsLeft: Double? {
        if deltaParts.total > 0, deltaBytes.total > deltaBytes.fetched, rate > 0 {
            return Double(deltaBytes.total - deltaBytes.fetched) / rate
        }
        if deltaParts.total == 0, outstandingMetadataFetches == 0, fetched > 0, requested > fetched {
            return seconds * Double(requested - fetched) / Double(fetched)
        }
        return nil
    }
}

/// Carries the Swift callbacks through libostree's `user_data`; progress at most once a second.
private final class PullBox: @unchecked Sendable {
    let progress: ((PullProgress) -> Void)?
    let isCancelled: (() -> Bool)?
    let cancellable: UnsafeMutablePointer<GCancellable>?
    var last: time_t = 0
    var lastReported: PullProgress?
    init(progress: ((PullProgress) -> Void)?, isCancelled: (() -> Bool)?, cancellable: UnsafeMutablePointer<GCancellable>?) {
        self.progress = progress
        self.isCancelled = isCancelled
        self.cancellable = cancellable
    }
    func report(_ p: PullProgress, force: Bool = false) {
        let now = time(nil)
        guard force || now != last, p != lastReported else { return }
        last = now
        lastReported = p
        progress?(p)
    }
}
