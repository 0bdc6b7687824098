import AptOstreeCore
import AptOstreeDBus
import AptOstreeEngine
import AptOstreeModel
import AptOstreePOSIX
import CGio
import CGioShims
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// apt-ostreed: owns `org.debian.aptostree1` on the system bus and serves the Sysroot object,
/// one OS object per stateroot, and one object per transaction.
///
/// Threads: GDBus calls our handlers on the main context (the thread running the loop), where
/// all daemon state lives. Authorization (a possibly slow polkit call) runs on a serial
/// control queue and hops back; transaction work runs on worker threads and only emits
/// signals (thread-safe in GDBus) until it hops back to finish.
public final class Daemon: @unchecked Sendable {
    let bus: Bus
    let sysroot: String
    let configPath: String
    var config: DaemonConfig
    let log: DaemonLog
    let engine = InProcessEngine()
    let authorizer: Authorizer
    let control = DispatchQueue(label: "apt-ostreed.control")
    let loop: OpaquePointer
    var node: UnsafeMutablePointer<GDBusNodeInfo>?
    var osObjects: [String: (osname: String, registration: UInt32)] = [:]
    var transactions: [String: Transaction] = [:]
    var active: Transaction?
    var nextTransactionID = 1
    var lastActivity = monotonicSeconds()
    var statusCache: [String: (stamp: [Int], status: HostStatus)] = [:]
    var stopping = false
    var exitCode: Int32 = 0

    /// Connects to the system bus (`DBUS_SYSTEM_BUS_ADDRESS` when set) for `sysroot`.
    public init(sysroot: String, configPath: String) throws {
        self.sysroot = sysroot
        self.configPath = configPath
        config = try DaemonConfig.load(configPath)
        log = DaemonLog(level: config.logLevel)
        bus = try Bus.system(starter: true)
        authorizer = Authorizer(bus: bus)
        loop = g_main_loop_new(nil, 0)
    }

    deinit { g_main_loop_unref(loop) }

    /// Registers the objects, takes the bus name, and serves until idle exit or SIGTERM.
    /// Returns the process exit status.
    public func run() throws -> Int32 {
        // Fail before taking the name when the sysroot cannot be served at all (this read
        // also fills the status cache for the first GetStatus).
        _ = try status()
        var err: UnsafeMutablePointer<GError>? = nil
        node = g_dbus_node_info_new_for_xml(Introspection.xml, &err)
        if let err { defer { g_error_free(err) }; throw AptOstreeError(.failed, String(cString: err.pointee.message)) }
        try register(BusNames.sysrootPath, BusNames.sysrootInterface)
        try registerStaterootObjects()

        let me = Unmanaged.passUnretained(self).toOpaque()
        g_bus_own_name_on_connection(bus.connection, BusNames.service, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
            { _, name, data in
                let d = Unmanaged<Daemon>.fromOpaque(data!).takeUnretainedValue()
                d.log.log(.info, "serving \(d.sysroot) as \(String(cString: name!))")
            },
            { _, name, data in
                let d = Unmanaged<Daemon>.fromOpaque(data!).takeUnretainedValue()
                d.log.log(.error, "could not own (or lost) the bus name \(String(cString: name!)); is another apt-ostreed running?")
                d.exitCode = 1
                g_main_loop_quit(d.loop)
            }, me, nil)
        for sig in [SIGTERM, SIGINT] {
            g_unix_signal_add_full(G_PRIORITY_DEFAULT, sig, { data in
                Unmanaged<Daemon>.fromOpaque(data!).takeUnretainedValue().shutdown()
                return 1
            }, me, nil)
        }
        g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, 1, { data in
            Unmanaged<Daemon>.fromOpaque(data!).takeUnretainedValue().checkIdle()
            return 1
        }, me, nil)
        g_main_loop_run(loop)
        // Signals are sent by GDBus's own thread: deliver a last Finished before exiting.
        g_dbus_connection_flush_sync(bus.connection, nil, nil)
        return exitCode
    }

    // MARK: - Objects

    func register(_ path: String, _ interface: String) throws {
        guard let node, let info = g_dbus_node_info_lookup_interface(node, interface) else {
            throw AptOstreeError(.failed, "no introspection data for \(interface)")
        }
        var vtable = GDBusInterfaceVTable()
        vtable.method_call = { _, sender, path, iface, method, params, invocation, data in
            let d = Unmanaged<Daemon>.fromOpaque(data!).takeUnretainedValue()
            d.handle(sender: String(cString: sender!), path: String(cString: path!), interface: String(cString: iface!),
                     method: String(cString: method!), params: params!, invocation: invocation!)
        }
        vtable.get_property = { _, _, path, iface, name, _, data in
            let d = Unmanaged<Daemon>.fromOpaque(data!).takeUnretainedValue()
            return d.property(path: String(cString: path!), interface: String(cString: iface!), name: String(cString: name!))
        }
        let id = try gioCall("Registering \(path)") {
            g_dbus_connection_register_object(bus.connection, path, info, &vtable,
                                              Unmanaged.passUnretained(self).toOpaque(), nil, $0)
        }
        if interface == BusNames.osInterface, let os = osObjects[path]?.osname { osObjects[path] = (os, id) }
        if interface == BusNames.transactionInterface { transactions[path]?.registrationID = id }
    }

    /// One OS object per stateroot folder under ostree/deploy.
    func registerStaterootObjects() throws {
        for os in staterootNames() where osObjects[BusNames.osPath(os)] == nil {
            osObjects[BusNames.osPath(os)] = (os, 0)
            try register(BusNames.osPath(os), BusNames.osInterface)
        }
    }

    func staterootNames() -> [String] {
        let dir = (sysroot == "/" ? "" : sysroot) + "/ostree/deploy"
        return ((try? FileText.entries(of: dir)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    // MARK: - Properties

    /// The sysroot's status, read again only when it may have changed: after a transaction,
    /// on Reload, or when libostree's change marker moved (it bumps the mtime of ostree/deploy
    /// whenever it writes deployments; the boot/loader link flips with each boot config).
    /// Like rpm-ostree's daemon, refs moved by another process show after `Reload`.
    func status(osname: String? = nil) throws -> HostStatus {
        let stamp = changeStamp()
        if let cached = statusCache[osname ?? ""], cached.stamp == stamp { return cached.status }
        let s = try engine.status(SysrootOptions(path: sysroot, osname: osname))
        statusCache[osname ?? ""] = (stamp, s)
        return s
    }

    func changeStamp() -> [Int] {
        let root = sysroot == "/" ? "" : sysroot
        var out: [Int] = []
        for path in [root + "/ostree/deploy", root + "/boot/loader"] {
            var st = stat()
            if lstat(path, &st) == 0 {
                out += [Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec), Int(st.st_ino)]
            } else {
                out += [-1, -1, -1]
            }
        }
        return out
    }

    func statusJSON(osname: String? = nil) throws -> JSONValue {
        var s = try status(osname: osname)
        s.automaticUpdatePolicy = config.automaticUpdatePolicy.rawValue
        if let a = active, !a.isFinished {
            s.transaction = TransactionInfo(title: a.title, initiator: a.initiator, address: a.path)
        }
        return s.daemonJSON
    }

    func property(path: String, interface: String, name: String) -> OpaquePointer? {
        lastActivity = monotonicSeconds()
        switch (interface, name) {
        case (BusNames.sysrootInterface, "Path"): return g_variant_new_string(sysroot)
        case (BusNames.sysrootInterface, "AutomaticUpdatePolicy"): return g_variant_new_string(config.automaticUpdatePolicy.rawValue)
        case (BusNames.sysrootInterface, "ActiveTransaction"):
            let a = active.flatMap { $0.isFinished ? nil : $0 }
            return aot_tuple_sss(a?.title ?? "", a?.initiator ?? "", a?.path ?? "")
        case (BusNames.sysrootInterface, "ActiveTransactionPath"):
            return g_variant_new_string(active.flatMap { $0.isFinished ? nil : $0.path } ?? "")
        case (BusNames.sysrootInterface, "Deployments"):
            let list = (try? statusJSON())?["deployments"] ?? .array([])
            var b = GVariantBuilder()
            withVariantType("aa{sv}") { g_variant_builder_init(&b, $0) }
            for d in list.arrayValue ?? [] { g_variant_builder_add_value(&b, VariantCodec.variant(d)) }
            return g_variant_builder_end(&b)
        case (BusNames.sysrootInterface, "Booted"):
            let booted = (try? status())?.booted
            return g_variant_new_object_path(booted.map { BusNames.osPath($0.osname) } ?? "/")
        case (BusNames.osInterface, "Name"): return g_variant_new_string(osObjects[path]?.osname ?? "")
        case (BusNames.transactionInterface, "Title"): return g_variant_new_string(transactions[path]?.title ?? "")
        case (BusNames.transactionInterface, "InitiatingClientDescription"):
            return g_variant_new_string(transactions[path]?.initiator ?? "")
        default: return nil
        }
    }

    // MARK: - Methods

    func handle(sender: String, path: String, interface: String, method: String, params: OpaquePointer,
                invocation: OpaquePointer) {
        lastActivity = monotonicSeconds()
        let reply = Reply(invocation)
        do {
            switch (interface, method) {
            case (BusNames.sysrootInterface, "Ping"):
                reply.value(nil)
            case (BusNames.sysrootInterface, "GetStatus"):
                let opts = argumentJSON(params, 0)
                reply.value(aot_tuple_s(try statusJSON(osname: opts["os"]?.stringValue).serialized(pretty: false)))
            case (BusNames.sysrootInterface, "GetOS"):
                let name = replyString(params) ?? ""
                reply.value(aot_tuple_o(try osPath(for: name)))
            case (BusNames.sysrootInterface, "Reload"), (BusNames.sysrootInterface, "ReloadConfig"):
                let reloadConfig = method == "ReloadConfig"
                authorized(sender: sender, method: method, reply: reply) { d in
                    if reloadConfig {
                        d.config = try DaemonConfig.load(d.configPath)
                        d.log.level = d.config.logLevel
                        d.log.log(.info, "configuration reloaded from \(d.configPath)")
                    }
                    d.statusCache.removeAll()
                    try d.registerStaterootObjects()
                    reply.value(nil)
                }
            case (BusNames.osInterface, "PreviewKernelArgs"):
                let request = try KargsRequest(json: argumentJSON(params, 0))
                let r = try engine.previewKargs(SysrootOptions(path: sysroot, osname: osname(path)), request)
                reply.value(aot_tuple_ss(r.current, r.result))
            case (BusNames.osInterface, "GetPackages"):
                let revision = replyString(params) ?? ""
                let list = try engine.packages(SysrootOptions(path: sysroot, osname: osname(path)), revision: revision.isEmpty ? nil : revision)
                reply.value(aot_tuple_s(list.json.serialized(pretty: false)))
            case (BusNames.osInterface, "GetHistory"):
                let list = try engine.history(SysrootOptions(path: sysroot, osname: osname(path)))
                reply.value(aot_tuple_s(JSONValue.array(list).serialized(pretty: false)))
            case (BusNames.osInterface, "ListRemotes"):
                let list = try engine.remotes(SysrootOptions(path: sysroot, osname: osname(path)))
                reply.value(aot_tuple_s(JSONValue.array(list.map { .array([.string($0.name), .string($0.url)]) }).serialized(pretty: false)))
            case (BusNames.osInterface, "Search"), (BusNames.osInterface, "Info"):
                let words = argumentJSON(params, 0).arrayValue?.compactMap(\.stringValue) ?? []
                let options = SysrootOptions(path: sysroot, osname: try osname(path))
                if method == "Search" {
                    let lines = try engine.search(options, terms: words)
                    reply.value(g_variant_new_tuple([VariantCodec.variant(.strings(lines))], 1))
                } else {
                    reply.value(aot_tuple_s(try engine.info(options, names: words)))
                }
            case (BusNames.osInterface, _):
                try osMethod(sender: sender, path: path, method: method, params: params, reply: reply)
            case (BusNames.transactionInterface, "Start"):
                guard let t = transactions[path] else { throw AptOstreeError(.notFound, "No transaction at \(path)") }
                reply.value(aot_tuple_b(t.start() ? 1 : 0))
            case (BusNames.transactionInterface, "Cancel"):
                guard let t = transactions[path] else { throw AptOstreeError(.notFound, "No transaction at \(path)") }
                authorized(sender: sender, method: method, reply: reply) { _ in
                    t.cancel()
                    reply.value(nil)
                }
            default:
                throw AptOstreeError(.invalidArgument, "Unknown method \(interface).\(method)")
            }
        } catch {
            reply.error(AptOstreeError.from(error))
        }
    }

    func osname(_ path: String) throws -> String {
        guard let os = osObjects[path]?.osname else { throw AptOstreeError(.notFound, "No stateroot object at \(path)") }
        return os
    }

    func osPath(for name: String) throws -> String {
        if name.isEmpty {
            guard let booted = try status().booted else {
                throw AptOstreeError(.notFound, "No deployments in \(sysroot)")
            }
            return BusNames.osPath(booted.osname)
        }
        try registerStaterootObjects()
        guard osObjects[BusNames.osPath(name)]?.osname == name else {
            throw AptOstreeError(.notFound, "Unknown stateroot '\(name)' in \(sysroot)")
        }
        return BusNames.osPath(name)
    }

    /// A mutating OS method: decode the request now (the parameters live only for this call),
    /// authorize on the control queue, then create (or re-attach to) the transaction.
    func osMethod(sender: String, path: String, method: String, params: OpaquePointer, reply: Reply) throws {
        let options = SysrootOptions(path: sysroot, osname: try osname(path))
        let engine = self.engine
        let title: String
        let work: @Sendable (ProgressSink) throws -> Void
        switch method {
        case "Rollback":
            title = "rollback"
            work = { p in _ = try engine.rollback(options, progress: p) }
        case "DeployCommit":
            // (s revision, a{sv} options): the options are an upgrade request (preview, cache-only, ...).
            let revision = aot_tuple_get_string(params, 0).map { String(cString: $0) } ?? ""
            guard !revision.isEmpty else { throw AptOstreeError(.invalidArgument, "DeployCommit: no revision") }
            var request = try UpgradeRequest(json: argumentJSON(params, 1))
            request.revision = revision
            let deploy = request
            title = "deploy \(revision)"
            work = { p in _ = try engine.upgrade(options, deploy, progress: p) }
        case "ApplyLive":
            let request = ApplyLiveRequest(json: argumentJSON(params, 0))
            title = "apply-live"
            work = { p in _ = try engine.applyLive(options, request, progress: p) }
        case "SetInitramfsState":
            let request = try InitramfsRequest(json: argumentJSON(params, 0))
            title = "initramfs --\(request.enable ? "enable" : "disable")"
            work = { p in _ = try engine.initramfs(options, request, progress: p) }
        case "InitramfsEtc":
            let request = InitramfsEtcRequest(json: argumentJSON(params, 0))
            title = "initramfs-etc"
            work = { p in _ = try engine.initramfsEtc(options, request, progress: p) }
        case "ModifyKernelArgs":
            let request = try KargsRequest(json: argumentJSON(params, 0))
            guard request.isModification else { throw AptOstreeError(.invalidArgument, "ModifyKernelArgs: the request changes nothing") }
            title = "kargs"
            work = { p in _ = try engine.kargs(options, request, progress: p) }
        case "PkgChange":
            let request = try PackageChangeRequest(json: argumentJSON(params, 0))
            if request.changesOverrides { throw AptOstreeError(.invalidArgument, "PkgChange: base package overrides go through OverrideChange") }
            title = request.uninstall.isEmpty ? "install \(request.install.joined(separator: " "))"
                : request.install.isEmpty ? "uninstall \(request.uninstall.joined(separator: " "))"
                : "install \(request.install.joined(separator: " ")) uninstall \(request.uninstall.joined(separator: " "))"
            work = { p in _ = try engine.changePackages(options, request, progress: p) }
        case "OverrideChange":
            let request = try PackageChangeRequest(json: argumentJSON(params, 0))
            guard request.changesOverrides else { throw AptOstreeError(.invalidArgument, "OverrideChange: the request changes no override") }
            title = "override" + (request.overrideRemove.isEmpty ? "" : " remove \(request.overrideRemove.joined(separator: " "))")
                + (request.overrideReplace.isEmpty ? "" : " replace \(request.overrideReplace.joined(separator: " "))")
                + (request.overrideResetAll ? " reset --all" : request.overrideReset.isEmpty ? "" : " reset \(request.overrideReset.joined(separator: " "))")
            work = { p in _ = try engine.changePackages(options, request, progress: p) }
        case "UpgradeSystem", "Rebase":
            let request = try UpgradeRequest(json: argumentJSON(params, 0))
            if method == "Rebase" && request.rebase == nil { throw AptOstreeError(.invalidArgument, "Rebase: the request names no refspec") }
            title = request.rebase.map { "rebase \($0)" } ?? (request.check || request.preview ? "upgrade --check" : "upgrade")
            work = { p in _ = try engine.upgrade(options, request, progress: p) }
        case "AutomaticUpdateTrigger":
            // The daemon's own configuration decides, as rpm-ostreed's does.
            let policy = config.automaticUpdatePolicy
            guard policy != .none else {
                throw AptOstreeError(.invalidArgument, "Automatic updates are not enabled (AutomaticUpdatePolicy=none in \(configPath))")
            }
            title = "automatic update (\(policy.rawValue))"
            work = { p in _ = try engine.automaticUpdate(options, policy: policy.rawValue, progress: p) }
        case "Reset":
            let request = ResetRequest(json: argumentJSON(params, 0))
            title = "reset"
            work = { p in _ = try engine.reset(options, request, progress: p) }
        case "ModifyRemote":
            let request = try RemoteRequest(json: argumentJSON(params, 0))
            title = "remote \(request.action.rawValue) \(request.name)"
            work = { _ in try engine.changeRemote(options, request) }
        case "RefreshMd":
            title = "refresh-md"
            work = { p in try engine.refreshMetadata(options, progress: p) }
        case "Cleanup":
            let elements = argumentJSON(params, 0).arrayValue?.compactMap(\.stringValue) ?? []
            let request = try CleanupRequest(elements: elements)
            guard !request.elements.isEmpty else { throw AptOstreeError(.invalidArgument, "At least one cleanup option must be specified") }
            title = "cleanup"
            work = { p in try engine.cleanup(options, request, progress: p) }
        default:
            throw AptOstreeError(.invalidArgument, "Unknown method \(BusNames.osInterface).\(method)")
        }
        let printed = g_variant_print(params, 1).map { s in defer { g_free(s) }; return String(cString: s) } ?? ""
        let key = "\(path) \(method) \(printed)"
        authorized(sender: sender, method: method, reply: reply) { d in
            let uid = try d.authorizer.uid(of: sender)
            // The history names the transaction and its caller.
            let recorded: @Sendable (ProgressSink) throws -> Void = { p in
                Invocation.description = "\(title) (uid \(uid), apt-ostreed)"
                try work(p)
            }
            reply.value(aot_tuple_s(try d.createTransaction(title: title, initiator: "uid \(uid) (\(sender))",
                                                            sender: sender, key: key, work: recorded)))
        }
    }

    /// Runs `then` on the main context once `sender` is authorized for `method`; failures go
    /// back to the caller as D-Bus errors.
    func authorized(sender: String, method: String, reply: Reply, then: @escaping @Sendable (Daemon) throws -> Void) {
        control.async {
            do {
                try self.authorizer.authorize(sender: sender, method: method)
            } catch {
                self.log.log(.warning, "denied \(method) to \(sender): \(error)")
                reply.error(AptOstreeError.from(error))
                return
            }
            onMainContext {
                do { try then(self) } catch { reply.error(AptOstreeError.from(error)) }
            }
        }
    }

    /// One transaction at a time: an identical request re-attaches to the running one, any
    /// other gets TransactionInProgress naming it.
    func createTransaction(title: String, initiator: String, sender: String, key: String,
                           work: @escaping @Sendable (ProgressSink) throws -> Void) throws -> String {
        if let a = active, !a.isFinished {
            if a.requestKey == key { return a.path }
            throw AptOstreeError(.transactionInProgress, "Transaction in progress: \(a.title) (\(a.path)), started by \(a.initiator)")
        }
        guard !stopping else { throw AptOstreeError(.failed, "apt-ostreed is shutting down") }
        // The previous transaction's object has served its late clients; drop it.
        for (p, t) in transactions where t.isFinished {
            g_dbus_connection_unregister_object(bus.connection, t.registrationID)
            if t.watchID != 0 { g_bus_unwatch_name(t.watchID) }
            transactions[p] = nil
        }
        let t = Transaction(id: nextTransactionID, title: title, initiator: initiator, sender: sender,
                            requestKey: key, bus: bus, log: log, work: work)
        nextTransactionID += 1
        transactions[t.path] = t
        try register(t.path, BusNames.transactionInterface)
        t.onFinished = { [unowned self] t in
            if self.active === t { self.active = nil }
            self.statusCache.removeAll()
            self.lastActivity = monotonicSeconds()
            if self.stopping { g_main_loop_quit(self.loop) }
        }
        // A transaction whose initiating client leaves before Start() is cancelled.
        t.watchID = g_bus_watch_name_on_connection(bus.connection, sender, G_BUS_NAME_WATCHER_FLAGS_NONE, nil,
            { _, _, data in
                let t = Unmanaged<Transaction>.fromOpaque(data!).takeUnretainedValue()
                if !t.isStarted { t.cancel() }
            }, Unmanaged.passRetained(t).toOpaque(), { data in Unmanaged<Transaction>.fromOpaque(data!).release() })
        active = t
        log.log(.info, "txn \(t.id) \(title): created for \(initiator)")
        return t.path
    }

    // MARK: - Lifetime

    func checkIdle() {
        let busy = active.map { !$0.isFinished } ?? false
        if !busy && config.idleExitTimeout > 0 && monotonicSeconds() - lastActivity > Double(config.idleExitTimeout) {
            log.log(.info, "idle for \(config.idleExitTimeout)s, exiting")
            g_main_loop_quit(loop)
        }
    }

    /// SIGTERM/SIGINT: cancel a running transaction at its next safe point, then exit.
    func shutdown() {
        stopping = true
        if let a = active, !a.isFinished {
            log.log(.info, "stopping: cancelling txn \(a.id)")
            a.cancel()
        } else {
            g_main_loop_quit(loop)
        }
    }
}

/// Argument `index` of a method call's parameter tuple, as JSON.
func argumentJSON(_ params: OpaquePointer, _ index: Int) -> JSONValue {
    let child = g_variant_get_child_value(params, gsize(index))!
    defer { g_variant_unref(child) }
    return VariantCodec.json(child)
}

/// Answers one method invocation, exactly once, from any thread.
final class Reply: @unchecked Sendable {
    let invocation: OpaquePointer
    init(_ i: OpaquePointer) { invocation = i }
    func value(_ v: OpaquePointer?) { g_dbus_method_invocation_return_value(invocation, v) }
    func error(_ e: AptOstreeError) { g_dbus_method_invocation_return_dbus_error(invocation, e.code.dbusName, e.message) }
}
