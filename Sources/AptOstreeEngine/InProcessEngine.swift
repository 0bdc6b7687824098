import AptOstreeCLI
import AptOstreeCore
import AptOstreeModel

/// The engine run in this process (root for changes): what apt-ostreed's transactions and
/// `apt-ostreed --direct` use.
public struct InProcessEngine: Engine {
    /// Makes the engine.
    public init() {}

    public func status(_ options: SysrootOptions) throws -> HostStatus {
        try StatusReader(try SysrootContext(options)).read()
    }

    public func rollback(_ options: SysrootOptions, progress: ProgressSink) throws -> Bool {
        try requireRoot("rollback")
        return try Rollback(context: try SysrootContext(options), progress: progress).run().changed
    }

    public func previewKargs(_ options: SysrootOptions, _ request: KargsRequest) throws -> (current: String, result: String) {
        let op = KernelArgsChange(context: try SysrootContext(options), progress: SilentProgress())
        let current = try op.current(request)
        return (current, request.isModification ? try KernelArgsChange.apply(request, to: current) : current)
    }

    public func kargs(_ options: SysrootOptions, _ request: KargsRequest, progress: ProgressSink) throws -> Bool {
        try requireRoot("kargs")
        return try KernelArgsChange(context: try SysrootContext(options), progress: progress).run(request).deployed
    }

    public func applyLive(_ options: SysrootOptions, _ request: ApplyLiveRequest, progress: ProgressSink) throws -> Bool {
        try requireRoot("apply-live")
        return try ApplyLive(context: try SysrootContext(options), progress: progress).run(request)
    }

    public func usroverlay(_ options: SysrootOptions, state: String, progress: ProgressSink) throws {
        try requireRoot("usroverlay")
        try ApplyLive(context: try SysrootContext(options), progress: progress).usroverlay(state: state)
    }

    public func initramfs(_ options: SysrootOptions, _ request: InitramfsRequest, progress: ProgressSink) throws -> Bool {
        try requireRoot("initramfs")
        return try InitramfsChange(context: try SysrootContext(options), progress: progress).run(request)
    }

    public func initramfsEtc(_ options: SysrootOptions, _ request: InitramfsEtcRequest, progress: ProgressSink) throws -> Bool {
        try requireRoot("initramfs-etc")
        return try InitramfsChange(context: try SysrootContext(options), progress: progress).runEtc(request)
    }

    public func cleanup(_ options: SysrootOptions, _ request: CleanupRequest, progress: ProgressSink) throws {
        try requireRoot("cleanup")
        _ = try Cleanup(context: try SysrootContext(options), progress: progress).run(request)
    }

    public func changePackages(_ options: SysrootOptions, _ request: PackageChangeRequest, progress: ProgressSink) throws -> Bool {
        try requireRoot(request.uninstall.isEmpty ? "install" : "uninstall")
        return try PackageLayering(context: try SysrootContext(options), progress: progress).run(request).deployed
    }

    public func refreshMetadata(_ options: SysrootOptions, progress: ProgressSink) throws {
        try requireRoot("refresh-md")
        try RefreshMetadata(context: try SysrootContext(options), progress: progress).run()
    }

    public func packages(_ options: SysrootOptions, revision: String?) throws -> PackageList {
        try PackageDatabase(context: try SysrootContext(options)).list(revision)
    }

    public func search(_ options: SysrootOptions, terms: [String]) throws -> [String] {
        try PackageLayering(context: try SysrootContext(options), progress: SilentProgress()).search(terms)
    }

    public func info(_ options: SysrootOptions, names: [String]) throws -> String {
        try PackageLayering(context: try SysrootContext(options), progress: SilentProgress()).info(names)
    }

    public func upgrade(_ options: SysrootOptions, _ request: UpgradeRequest, progress: ProgressSink) throws -> (deployed: Bool, available: Bool) {
        if !(request.check || request.preview) { try requireRoot(request.rebase == nil ? "upgrade" : "rebase") }
        let r = try Upgrade(context: try SysrootContext(options), progress: progress).run(request)
        return (r.deployed, r.available)
    }

    public func automaticUpdate(_ options: SysrootOptions, policy: String?, progress: ProgressSink) throws -> Bool? {
        try requireRoot("upgrade")
        let p = try policy.map { try AutomaticUpdatePolicy(config: $0, file: "policy") }
        switch try AutomaticUpdate(context: try SysrootContext(options), progress: progress).run(policy: p) {
        case .disabled: return nil
        case .ran(let deployed): return deployed
        }
    }

    public func countMe(_ options: SysrootOptions, progress: ProgressSink) throws -> String {
        try requireRoot("countme")
        return try CountMe(context: try SysrootContext(options), progress: progress, userAgent: "apt-ostree/\(aptOstreeVersion)").run()
    }

    public func reset(_ options: SysrootOptions, _ request: ResetRequest, progress: ProgressSink) throws -> Bool {
        try requireRoot("reset")
        return try Upgrade(context: try SysrootContext(options), progress: progress).reset(request)
    }

    public func remotes(_ options: SysrootOptions) throws -> [(name: String, url: String)] {
        try Remotes(context: try SysrootContext(options)).list()
    }

    public func changeRemote(_ options: SysrootOptions, _ request: RemoteRequest) throws {
        try Remotes(context: try SysrootContext(options)).change(request)
    }

    public func history(_ options: SysrootOptions) throws -> [JSONValue] {
        try History(context: try SysrootContext(options)).entries()
    }

    /// Nothing is cached in-process: every command reads the sysroot afresh.
    public func reload(_ options: SysrootOptions) throws {}

    /// Transactions exist only in the daemon; without one nothing can be running.
    public func cancelActive(_ options: SysrootOptions) throws -> String? { nil }
}

/// `compose tree` and `compose image`, in this process.
public struct InProcessComposer: Composer {
    public init() {}

    public func composeTree(_ request: ComposeTreeRequest, progress: ProgressSink) throws -> ComposeOutcome {
        try ComposeTree(progress: progress).run(request)
    }

    public func composeImage(_ request: ComposeImageRequest, progress: ProgressSink) throws {
        try ComposeImage(progress: progress).run(request)
    }
}
