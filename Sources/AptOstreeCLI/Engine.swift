import AptOstreeModel

/// What a command asks of the engine. Two implementations: `DaemonEngine` talks to
/// apt-ostreed over D-Bus (the `apt-ostree` binary links no libostree, so it starts fast),
/// and the in-process engine (AptOstreeEngine) runs the operations itself when no daemon
/// serves the sysroot.
public protocol Engine: Sendable {
    /// The status of every deployment.
    func status(_ options: SysrootOptions) throws -> HostStatus
    /// `rollback`; returns whether the default deployment changed.
    func rollback(_ options: SysrootOptions, progress: ProgressSink) throws -> Bool
    /// The command line a kargs request starts from, and the one it would produce.
    func previewKargs(_ options: SysrootOptions, _ request: KargsRequest) throws -> (current: String, result: String)
    /// `kargs` with changes; returns whether a new deployment was written.
    func kargs(_ options: SysrootOptions, _ request: KargsRequest, progress: ProgressSink) throws -> Bool
    /// `apply-live`; returns whether the running tree changed.
    func applyLive(_ options: SysrootOptions, _ request: ApplyLiveRequest, progress: ProgressSink) throws -> Bool
    /// `usroverlay`: must run in the caller's mount namespace (the daemon engine executes the
    /// in-process one instead).
    func usroverlay(_ options: SysrootOptions, state: String, progress: ProgressSink) throws
    /// `initramfs --enable|--disable`; returns whether a new deployment was written.
    func initramfs(_ options: SysrootOptions, _ request: InitramfsRequest, progress: ProgressSink) throws -> Bool
    /// `initramfs-etc` with changes; returns whether a new deployment was written.
    func initramfsEtc(_ options: SysrootOptions, _ request: InitramfsEtcRequest, progress: ProgressSink) throws -> Bool
    /// `cleanup`.
    func cleanup(_ options: SysrootOptions, _ request: CleanupRequest, progress: ProgressSink) throws
    /// `install` / `uninstall`; returns whether a new deployment was written.
    func changePackages(_ options: SysrootOptions, _ request: PackageChangeRequest, progress: ProgressSink) throws -> Bool
    /// `refresh-md`: apt's package lists into the cache.
    func refreshMetadata(_ options: SysrootOptions, progress: ProgressSink) throws
    /// The packages of a commit (`db`).
    func packages(_ options: SysrootOptions, revision: String?) throws -> PackageList
    /// `search TERM...`: matching `name - summary` lines.
    func search(_ options: SysrootOptions, terms: [String]) throws -> [String]
    /// `info PKG...`: apt's records.
    func info(_ options: SysrootOptions, names: [String]) throws -> String
    /// `upgrade` / `rebase`: (deployed, a newer base is available).
    func upgrade(_ options: SysrootOptions, _ request: UpgradeRequest, progress: ProgressSink) throws -> (deployed: Bool, available: Bool)
    /// `upgrade --trigger-automatic-update-policy`: runs `policy` (nil: the configured one);
    /// returns nil when automatic updates are off, else whether a new deployment was written.
    func automaticUpdate(_ options: SysrootOptions, policy: String?, progress: ProgressSink) throws -> Bool?
    /// `countme`: one anonymous report for this week to the origin's remote, if enabled;
    /// returns the line to print.
    func countMe(_ options: SysrootOptions, progress: ProgressSink) throws -> String
    /// `reset`; returns whether a new deployment was written.
    func reset(_ options: SysrootOptions, _ request: ResetRequest, progress: ProgressSink) throws -> Bool
    /// `remote list`: name and URL of each remote.
    func remotes(_ options: SysrootOptions) throws -> [(name: String, url: String)]
    /// `remote add|delete`.
    func changeRemote(_ options: SysrootOptions, _ request: RemoteRequest) throws
    /// `history`: every deployment made, newest first (JSON objects).
    func history(_ options: SysrootOptions) throws -> [JSONValue]
    /// `reload`: re-read configuration and sysroot state.
    func reload(_ options: SysrootOptions) throws
    /// `cancel`: cancels the running transaction; returns its title, or nil when none runs.
    func cancelActive(_ options: SysrootOptions) throws -> String?
}

/// The in-process engine, when this process has one (apt-ostreed running a command).
public enum InProcess {
    nonisolated(unsafe) public static var engine: Engine?
}
