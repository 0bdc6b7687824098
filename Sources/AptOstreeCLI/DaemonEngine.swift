import AptOstreeDBus
import AptOstreeModel
import CGio
import CGioShims

/// The engine behind apt-ostreed: each change is a transaction on the system bus whose
/// progress signals are printed as they come; Ctrl-C cancels it.
final class DaemonEngine: Engine, @unchecked Sendable {
    let bus: Bus
    let owner: String

    /// Connects to the daemon serving `options.path`, or returns nil when none does (no bus,
    /// no daemon, or a daemon serving another sysroot). For `/` the daemon is bus-activated.
    static func connect(_ options: SysrootOptions, trace: (String) -> Void) -> DaemonEngine? {
        // No bus configured and no system bus socket: nothing to ask, and no GDBus start-up.
        if getenv("DBUS_SYSTEM_BUS_ADDRESS") == nil && access("/run/dbus/system_bus_socket", F_OK) != 0 {
            trace("no system bus at /run/dbus/system_bus_socket")
            return nil
        }
        do {
            let bus = try Bus.system()
            // One round trip: the Path property. Only `/` may start the daemon on demand; for
            // another sysroot a daemon must already be running (a missing one fails at once).
            let path = try bus.property(BusNames.service, BusNames.sysrootPath, BusNames.sysrootInterface, "Path",
                                        autoStart: options.path == "/")
            guard path.stringValue.map(canonicalPath) == canonicalPath(options.path) else {
                trace("apt-ostreed serves \(path.stringValue ?? "?"), not \(options.path)")
                return nil
            }
            return DaemonEngine(bus: bus, owner: BusNames.service)
        } catch {
            trace("\(error)")
            return nil
        }
    }

    init(bus: Bus, owner: String) {
        self.bus = bus
        self.owner = owner
    }

    func status(_ options: SysrootOptions) throws -> HostStatus {
        let opts = VariantCodec.dictionary(options.osname.map { ["os": .string($0)] } ?? [:])
        let r = try bus.call(owner, BusNames.sysrootPath, BusNames.sysrootInterface, "GetStatus",
                             g_variant_new_tuple([opts], 1), replyType: "(s)")
        defer { g_variant_unref(r) }
        return try HostStatus(json: JSONParser.parse(replyString(r) ?? ""))
    }

    func osPath(_ options: SysrootOptions) throws -> String {
        let r = try bus.call(owner, BusNames.sysrootPath, BusNames.sysrootInterface, "GetOS",
                             aot_tuple_s(options.osname ?? ""), replyType: "(o)")
        defer { g_variant_unref(r) }
        return replyString(r) ?? ""
    }

    /// Runs a transaction and tells whether the default deployment changed (rpm-ostree's
    /// client decides "no change" the same way).
    func runTransactionChangingDefault(_ options: SysrootOptions, _ method: String, _ args: [OpaquePointer],
                                       progress: ProgressSink) throws -> Bool {
        let before = try status(options).deployments.first?.id
        try runTransaction(options, method, args, progress: progress)
        return try status(options).deployments.first?.id != before
    }

    func rollback(_ options: SysrootOptions, progress: ProgressSink) throws -> Bool {
        try runTransactionChangingDefault(options, "Rollback", [VariantCodec.dictionary([:])], progress: progress)
    }

    func previewKargs(_ options: SysrootOptions, _ request: KargsRequest) throws -> (current: String, result: String) {
        let r = try bus.call(owner, try osPath(options), BusNames.osInterface, "PreviewKernelArgs",
                             g_variant_new_tuple([VariantCodec.variant(request.json)], 1), replyType: "(ss)")
        defer { g_variant_unref(r) }
        return (replyString(r, 0) ?? "", replyString(r, 1) ?? "")
    }

    func kargs(_ options: SysrootOptions, _ request: KargsRequest, progress: ProgressSink) throws -> Bool {
        try runTransactionChangingDefault(options, "ModifyKernelArgs",
                                          [VariantCodec.variant(request.json), VariantCodec.dictionary([:])], progress: progress)
    }

    func applyLive(_ options: SysrootOptions, _ request: ApplyLiveRequest, progress: ProgressSink) throws -> Bool {
        let sink = WatchingProgress(inner: progress)
        try runTransaction(options, "ApplyLive", [VariantCodec.variant(request.json)], progress: sink)
        return sink.saw("Successfully updated running filesystem tree.")
    }

    func usroverlay(_ options: SysrootOptions, state: String, progress: ProgressSink) throws {
        // The overlay is mounted in the mount namespace of the process that asks libostree.
        try execDirect()
    }

    func initramfs(_ options: SysrootOptions, _ request: InitramfsRequest, progress: ProgressSink) throws -> Bool {
        try runTransactionChangingDefault(options, "SetInitramfsState",
                                          [VariantCodec.variant(request.json), VariantCodec.dictionary([:])], progress: progress)
    }

    func initramfsEtc(_ options: SysrootOptions, _ request: InitramfsEtcRequest, progress: ProgressSink) throws -> Bool {
        try runTransactionChangingDefault(options, "InitramfsEtc",
                                          [VariantCodec.variant(request.json), VariantCodec.dictionary([:])], progress: progress)
    }

    func cleanup(_ options: SysrootOptions, _ request: CleanupRequest, progress: ProgressSink) throws {
        try runTransaction(options, "Cleanup", [VariantCodec.variant(.strings(request.elements))], progress: progress)
    }

    func changePackages(_ options: SysrootOptions, _ request: PackageChangeRequest, progress: ProgressSink) throws -> Bool {
        // Changes to base packages are their own method, under polkit's override action.
        try runTransactionChangingDefault(options, request.changesOverrides ? "OverrideChange" : "PkgChange",
                                          [VariantCodec.variant(request.json), VariantCodec.dictionary([:])],
                                          progress: progress)
    }

    func refreshMetadata(_ options: SysrootOptions, progress: ProgressSink) throws {
        try runTransaction(options, "RefreshMd", [VariantCodec.dictionary([:])], progress: progress)
    }

    func packages(_ options: SysrootOptions, revision: String?) throws -> PackageList {
        let r = try bus.call(owner, try osPath(options), BusNames.osInterface, "GetPackages", aot_tuple_s(revision ?? ""), replyType: "(s)")
        defer { g_variant_unref(r) }
        return try PackageList(json: JSONParser.parse(replyString(r) ?? ""))
    }

    func search(_ options: SysrootOptions, terms: [String]) throws -> [String] {
        let r = try bus.call(owner, try osPath(options), BusNames.osInterface, "Search",
                             g_variant_new_tuple([VariantCodec.variant(.strings(terms))], 1), replyType: "(as)")
        defer { g_variant_unref(r) }
        return VariantCodec.json(r)[0]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    func info(_ options: SysrootOptions, names: [String]) throws -> String {
        let r = try bus.call(owner, try osPath(options), BusNames.osInterface, "Info",
                             g_variant_new_tuple([VariantCodec.variant(.strings(names))], 1), replyType: "(s)")
        defer { g_variant_unref(r) }
        return replyString(r) ?? ""
    }

    func upgrade(_ options: SysrootOptions, _ request: UpgradeRequest, progress: ProgressSink) throws -> (deployed: Bool, available: Bool) {
        // The transaction's messages tell whether an update exists ("No upgrade available.").
        let sink = WatchingProgress(inner: progress)
        let deployed: Bool
        if let revision = request.revision, request.rebase == nil {
            deployed = try runTransactionChangingDefault(options, "DeployCommit", [g_variant_new_string(revision), VariantCodec.variant(request.json)],
                                                         progress: sink)
        } else {
            deployed = try runTransactionChangingDefault(options, request.rebase == nil ? "UpgradeSystem" : "Rebase",
                                                         [VariantCodec.variant(request.json), VariantCodec.dictionary([:])], progress: sink)
        }
        return (deployed, !sink.saw("No upgrade available.") && !sink.saw("No change."))
    }

    func automaticUpdate(_ options: SysrootOptions, policy: String?, progress: ProgressSink) throws -> Bool? {
        // The daemon's configuration decides; with none there is no transaction to follow.
        let configured = try bus.property(owner, BusNames.sysrootPath, BusNames.sysrootInterface, "AutomaticUpdatePolicy")
        if (policy ?? configured.stringValue) == "none" {
            progress.message("Automatic updates are not enabled; exiting...")
            return nil
        }
        return try runTransactionChangingDefault(options, "AutomaticUpdateTrigger", [VariantCodec.dictionary([:])], progress: progress)
    }

    func countMe(_ options: SysrootOptions, progress: ProgressSink) throws -> String {
        // Reads the machine's state and reaches the network: no daemon transaction for it.
        try execDirect()
    }

    func reset(_ options: SysrootOptions, _ request: ResetRequest, progress: ProgressSink) throws -> Bool {
        try runTransactionChangingDefault(options, "Reset", [VariantCodec.variant(request.json)], progress: progress)
    }

    func remotes(_ options: SysrootOptions) throws -> [(name: String, url: String)] {
        let r = try bus.call(owner, try osPath(options), BusNames.osInterface, "ListRemotes", nil, replyType: "(s)")
        defer { g_variant_unref(r) }
        return (try JSONParser.parse(replyString(r) ?? "[]").arrayValue ?? []).compactMap { e in
            guard let n = e[0]?.stringValue, let u = e[1]?.stringValue else { return nil }
            return (n, u)
        }
    }

    func changeRemote(_ options: SysrootOptions, _ request: RemoteRequest) throws {
        try runTransaction(options, "ModifyRemote", [VariantCodec.variant(request.json)], progress: SilentProgress())
    }

    func history(_ options: SysrootOptions) throws -> [JSONValue] {
        let r = try bus.call(owner, try osPath(options), BusNames.osInterface, "GetHistory", nil, replyType: "(s)")
        defer { g_variant_unref(r) }
        return try JSONParser.parse(replyString(r) ?? "[]").arrayValue ?? []
    }

    func reload(_ options: SysrootOptions) throws {
        let r = try bus.call(owner, BusNames.sysrootPath, BusNames.sysrootInterface, "ReloadConfig", nil)
        g_variant_unref(r)
    }

    func cancelActive(_ options: SysrootOptions) throws -> String? {
        let active = try bus.property(owner, BusNames.sysrootPath, BusNames.sysrootInterface, "ActiveTransaction")
        guard let title = active[0]?.stringValue, !title.isEmpty, let path = active[2]?.stringValue else { return nil }
        let r = try bus.call(owner, path, BusNames.transactionInterface, "Cancel", nil)
        g_variant_unref(r)
        return title
    }

    /// Calls a mutating OS method, subscribes to the transaction it returns, starts it, and
    /// waits for Finished; a failed transaction throws its error message.
    func runTransaction(_ options: SysrootOptions, _ method: String, _ args: [OpaquePointer], progress: ProgressSink) throws {
        // Follow the daemon by its unique name: its signals stay deliverable (and ordered
        // before its disappearance) even when the well-known name goes away.
        let nameReply = try bus.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "GetNameOwner", aot_tuple_s(owner), replyType: "(s)")
        let owner = replyString(nameReply) ?? self.owner
        g_variant_unref(nameReply)
        var children: [OpaquePointer?] = args
        let params = children.withUnsafeMutableBufferPointer { g_variant_new_tuple($0.baseAddress, gsize(args.count)) }
        let r = try bus.call(owner, try osPath(options), BusNames.osInterface, method, params, replyType: "(s)")
        let txnPath = replyString(r) ?? ""
        g_variant_unref(r)

        let loop = g_main_loop_new(nil, 0)!
        defer { g_main_loop_unref(loop) }
        nonisolated(unsafe) var outcome: (Bool, String)? = nil
        let sub = bus.subscribe(sender: owner, path: txnPath) { member, params in
            switch member {
            case "Message", "TaskBegin":
                if let text = params[0]?.stringValue { progress.message(text) }
            case "PercentProgress":
                if let text = params[0]?.stringValue, let pct = params[1]?.intValue {
                    if let t = progress as? TerminalProgress { t.percent(text, Int(pct)) } else { progress.message("\(text) \(pct)%") }
                }
            case "Finished":
                outcome = (params[0]?.boolValue ?? false, params[1]?.stringValue ?? "")
                g_main_loop_quit(loop)
            default: break
            }
        }
        defer { bus.unsubscribe(sub) }
        // If the daemon goes away mid-transaction, say so instead of waiting forever.
        // (Finished may be dispatched in the same loop iteration: it wins.)
        let vanished = VanishContext {
            if outcome == nil {
                outcome = (false, "apt-ostreed exited during the transaction; run 'apt-ostree status' to see the system's state")
            }
            g_main_loop_quit(loop)
        }
        let watch = g_bus_watch_name_on_connection(bus.connection, owner, G_BUS_NAME_WATCHER_FLAGS_NONE, nil,
            { _, _, data in Unmanaged<VanishContext>.fromOpaque(data!).takeUnretainedValue().fire() },
            Unmanaged.passRetained(vanished).toOpaque(), { data in Unmanaged<VanishContext>.fromOpaque(data!).release() })
        defer { g_bus_unwatch_name(watch) }
        // Ctrl-C cancels the transaction; the daemon stops at its next safe point.
        let cancelCtx = Unmanaged.passRetained(CancelContext(bus: bus, owner: owner, path: txnPath)).toOpaque()
        let sigint = g_unix_signal_add_full(G_PRIORITY_DEFAULT, SIGINT, { data in
            let ctx = Unmanaged<CancelContext>.fromOpaque(data!).takeUnretainedValue()
            ctx.cancel()
            return 1
        }, cancelCtx, { data in Unmanaged<CancelContext>.fromOpaque(data!).release() })
        defer { g_source_remove(sigint) }

        let started = try bus.call(owner, txnPath, BusNames.transactionInterface, "Start", nil, replyType: "(b)")
        g_variant_unref(started)
        if outcome == nil { g_main_loop_run(loop) }
        guard let (success, message) = outcome else { throw AptOstreeError(.failed, "Transaction ended without a result") }
        if !success {
            throw AptOstreeError(message.hasPrefix("Cancelled") ? .cancelled : .failed, message)
        }
    }
}

final class VanishContext {
    let action: () -> Void
    var fired = false
    init(_ a: @escaping () -> Void) { action = a }
    func fire() { if !fired { fired = true; action() } }
}

final class CancelContext {
    let bus: Bus, owner: String, path: String
    init(bus: Bus, owner: String, path: String) { self.bus = bus; self.owner = owner; self.path = path }
    func cancel() {
        if let r = try? bus.call(owner, path, BusNames.transactionInterface, "Cancel", nil) { g_variant_unref(r) }
    }
}

/// `path` with `.`/`..`/symlinks resolved, so `/srv/img/` and `/srv/img` compare equal.
func canonicalPath(_ path: String) -> String {
    guard let p = realpath(path, nil) else { return path }
    defer { free(p) }
    return String(cString: p)
}

/// Passes progress on and remembers the messages (to read a transaction's outcome).
final class WatchingProgress: ProgressSink, @unchecked Sendable {
    let inner: ProgressSink
    private var seen: [String] = []
    init(inner: ProgressSink) { self.inner = inner }
    func message(_ text: String) {
        seen.append(text)
        inner.message(text)
    }
    func saw(_ text: String) -> Bool { seen.contains(text) }
}
