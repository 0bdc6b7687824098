/// `compose tree MANIFEST --repo=REPO`, rpm-ostree's options where they apply.
public struct ComposeTreeRequest: Sendable {
    public var manifest: String
    public var repo: String
    /// Apt lists and downloaded .debs kept between composes; nil: a temporary one.
    public var cachedir: String?
    /// Where the tree is built; nil: the cachedir, else /var/tmp.
    public var workdir: String?
    /// Resolve and print the package set; build and commit nothing.
    public var dryRun = false
    /// Commit even when nothing seems to have changed.
    public var forceNocache = false
    /// `KEY=VALUE` strings added to the commit metadata.
    public var metadataStrings: [String] = []
    /// Write the commit checksum here instead of updating the ref.
    public var writeCommitidTo: String?
    /// The parent commit; default: the ref's current commit.
    public var parent: String?
    /// Touch this file when a new commit was made.
    public var touchIfChanged: String?

    public init(manifest: String, repo: String) {
        self.manifest = manifest
        self.repo = repo
    }
}

/// What a compose did.
public enum ComposeOutcome: Sendable, Equatable {
    /// A new commit (and the ref, unless --write-commitid-to).
    case committed(checksum: String, version: String?)
    /// Nothing changed since the previous commit (exit 77).
    case unchanged
    /// `--dry-run`: nothing was built.
    case dryRun
}

/// `compose image MANIFEST_OR_REF --repo=REPO --format=raw|qcow2 OUTPUT`.
public struct ComposeImageRequest: Sendable {
    /// A manifest file (composed first) or a ref in the repo.
    public var source: String
    public var repo: String
    /// `raw` or `qcow2`.
    public var format: String
    public var output: String
    /// The disk size in bytes.
    public var size: UInt64 = 4 << 30
    /// The stateroot; default: the manifest's osname, else `debian`.
    public var osname: String?
    /// Kernel arguments beside root=, rw and the manifest's.
    public var kernelArgs: [String] = []
    /// As for compose tree.
    public var cachedir: String?
    public var workdir: String?

    public init(source: String, repo: String, format: String, output: String) {
        self.source = source
        self.repo = repo
        self.format = format
        self.output = output
    }
}

/// `install` / `uninstall` (rpm-ostree's options where they apply).
public struct PackageChangeRequest: Sendable, Equatable {
    /// Package names, or paths of local .deb files.
    public var install: [String] = []
    /// Layered packages to take out.
    public var uninstall: [String] = []
    /// Resolve and print, change nothing.
    public var dryRun = false
    /// Asking for what is already requested (or not requested) is not an error.
    public var idempotent = false
    /// Allow requesting a package the base already has.
    public var allowInactive = false
    /// Do not refresh package lists; use what the cache has.
    public var cacheOnly = false
    /// Download, change nothing else.
    public var downloadOnly = false
    /// `override remove`: base packages to take out.
    public var overrideRemove: [String] = []
    /// `override replace`: paths of local .debs, or `NAME=VERSION` from the apt sources.
    public var overrideReplace: [String] = []
    /// `override reset`: packages whose overrides go.
    public var overrideReset: [String] = []
    /// `override reset --all`.
    public var overrideResetAll = false

    public init(install: [String] = [], uninstall: [String] = []) {
        self.install = install
        self.uninstall = uninstall
    }

    /// As a JSON object (the D-Bus `a{sv}`).
    public var json: JSONValue {
        .object(["install": .strings(install), "uninstall": .strings(uninstall), "dry-run": .bool(dryRun),
                 "idempotent": .bool(idempotent), "allow-inactive": .bool(allowInactive),
                 "cache-only": .bool(cacheOnly), "download-only": .bool(downloadOnly),
                 "override-remove": .strings(overrideRemove), "override-replace": .strings(overrideReplace),
                 "override-reset": .strings(overrideReset), "override-reset-all": .bool(overrideResetAll)])
    }

    /// Whether the request changes base packages (the `override` polkit action).
    public var changesOverrides: Bool {
        !overrideRemove.isEmpty || !overrideReplace.isEmpty || !overrideReset.isEmpty || overrideResetAll
    }

    /// Reads the JSON form; wrong types are an error.
    public init(json: JSONValue) throws {
        func strings(_ k: String) throws -> [String] {
            guard let v = json[k] else { return [] }
            guard let a = v.arrayValue else { throw AptOstreeError(.invalidArgument, "'\(k)' must be a string list") }
            return try a.map { guard let s = $0.stringValue else { throw AptOstreeError(.invalidArgument, "'\(k)' must be a string list") }; return s }
        }
        install = try strings("install")
        uninstall = try strings("uninstall")
        dryRun = json["dry-run"]?.boolValue ?? false
        idempotent = json["idempotent"]?.boolValue ?? false
        allowInactive = json["allow-inactive"]?.boolValue ?? false
        cacheOnly = json["cache-only"]?.boolValue ?? false
        downloadOnly = json["download-only"]?.boolValue ?? false
        overrideRemove = try strings("override-remove")
        overrideReplace = try strings("override-replace")
        overrideReset = try strings("override-reset")
        overrideResetAll = json["override-reset-all"]?.boolValue ?? false
    }
}

/// `upgrade` and `rebase` (rpm-ostree's options where they apply).
public struct UpgradeRequest: Sendable, Equatable {
    /// Fetch commit metadata only and say whether an update exists.
    public var check = false
    /// As check, plus the package diff from commit metadata.
    public var preview = false
    /// Pull everything, deploy nothing.
    public var downloadOnly = false
    /// Do not pull; use what the repo has.
    public var cacheOnly = false
    /// Accept a base older than the current one.
    public var allowDowngrade = false
    /// `rebase`: the new refspec.
    public var rebase: String?
    /// `deploy REVISION` (or `rebase REFSPEC REVISION`): a checksum or version in the
    /// history of the ref, pinned in the origin (`override-commit`).
    public var revision: String?

    public init() {}

    /// As a JSON object (the D-Bus `a{sv}`).
    public var json: JSONValue {
        var o: [String: JSONValue] = ["check": .bool(check), "preview": .bool(preview), "download-only": .bool(downloadOnly),
                                      "cache-only": .bool(cacheOnly), "allow-downgrade": .bool(allowDowngrade)]
        if let rebase { o["rebase"] = .string(rebase) }
        if let revision { o["revision"] = .string(revision) }
        return .object(o)
    }

    /// Reads the JSON form.
    public init(json: JSONValue) throws {
        guard case .object = json else { throw AptOstreeError(.invalidArgument, "An upgrade request is a dictionary") }
        check = json["check"]?.boolValue ?? false
        preview = json["preview"]?.boolValue ?? false
        downloadOnly = json["download-only"]?.boolValue ?? false
        cacheOnly = json["cache-only"]?.boolValue ?? false
        allowDowngrade = json["allow-downgrade"]?.boolValue ?? false
        rebase = json["rebase"]?.stringValue
        revision = json["revision"]?.stringValue
    }
}

/// `reset`: which mutations go (rpm-ostree's `--overlays`, `--overrides`, `--initramfs`);
/// none named: all of them.
public struct ResetRequest: Sendable, Equatable {
    public var overlays = false
    public var overrides = false
    public var initramfs = false

    public init(overlays: Bool = false, overrides: Bool = false, initramfs: Bool = false) {
        self.overlays = overlays
        self.overrides = overrides
        self.initramfs = initramfs
    }

    /// Whether everything goes.
    public var all: Bool { !overlays && !overrides && !initramfs }

    /// As a JSON object (the D-Bus `a{sv}`).
    public var json: JSONValue { .object(["overlays": .bool(overlays), "overrides": .bool(overrides), "initramfs": .bool(initramfs)]) }

    /// Reads the JSON form (missing keys: false).
    public init(json: JSONValue) {
        overlays = json["overlays"]?.boolValue ?? false
        overrides = json["overrides"]?.boolValue ?? false
        initramfs = json["initramfs"]?.boolValue ?? false
    }
}

/// `initramfs --enable [--arg=ARG...] | --disable`.
public struct InitramfsRequest: Sendable, Equatable {
    public var enable: Bool
    public var args: [String]
    /// Generate again even when regeneration is already enabled with these arguments.
    public var force = false

    public init(enable: Bool, args: [String] = [], force: Bool = false) {
        self.enable = enable
        self.args = args
        self.force = force
    }

    public var json: JSONValue { .object(["enable": .bool(enable), "args": .strings(args), "force": .bool(force)]) }

    public init(json: JSONValue) throws {
        guard let enable = json["enable"]?.boolValue else { throw AptOstreeError(.invalidArgument, "An initramfs request needs 'enable'") }
        self.enable = enable
        args = json["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        force = json["force"]?.boolValue ?? false
    }
}

/// `initramfs-etc --track=PATH --untrack=PATH --untrack-all --force-sync`.
public struct InitramfsEtcRequest: Sendable, Equatable {
    public var track: [String] = []
    public var untrack: [String] = []
    public var untrackAll = false
    public var forceSync = false

    public init(track: [String] = [], untrack: [String] = [], untrackAll: Bool = false, forceSync: Bool = false) {
        self.track = track
        self.untrack = untrack
        self.untrackAll = untrackAll
        self.forceSync = forceSync
    }

    public var json: JSONValue {
        .object(["track": .strings(track), "untrack": .strings(untrack), "untrack-all": .bool(untrackAll), "force-sync": .bool(forceSync)])
    }

    public init(json: JSONValue) {
        track = json["track"]?.arrayValue?.compactMap(\.stringValue) ?? []
        untrack = json["untrack"]?.arrayValue?.compactMap(\.stringValue) ?? []
        untrackAll = json["untrack-all"]?.boolValue ?? false
        forceSync = json["force-sync"]?.boolValue ?? false
    }
}

/// `apply-live [--target=REV] [--reset] [--allow-replacement]`.
public struct ApplyLiveRequest: Sendable, Equatable {
    public var target: String?
    public var reset = false
    public var allowReplacement = false

    public init(target: String? = nil, reset: Bool = false, allowReplacement: Bool = false) {
        self.target = target
        self.reset = reset
        self.allowReplacement = allowReplacement
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["reset": .bool(reset), "allow-replacement": .bool(allowReplacement)]
        if let target { o["target"] = .string(target) }
        return .object(o)
    }

    public init(json: JSONValue) {
        target = json["target"]?.stringValue
        reset = json["reset"]?.boolValue ?? false
        allowReplacement = json["allow-replacement"]?.boolValue ?? false
    }
}

/// `remote add|delete`.
public struct RemoteRequest: Sendable, Equatable {
    public enum Action: String, Sendable { case add, delete }
    public var action: Action
    public var name: String
    public var url: String?
    /// `KEY=VALUE` remote options (`gpg-verify=false`, `sign-verify=true`, `verification-ed25519-key=...`).
    public var options: [String] = []
    /// With add: no error when it exists; with delete: when it does not.
    public var ifNeeded = false
    /// With add: a file of GPG public keys to trust for this remote.
    public var gpgImport: String?

    public init(action: Action, name: String) {
        self.action = action
        self.name = name
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["action": .string(action.rawValue), "name": .string(name), "options": .strings(options),
                                      "if-needed": .bool(ifNeeded)]
        if let url { o["url"] = .string(url) }
        if let gpgImport { o["gpg-import"] = .string(gpgImport) }
        return .object(o)
    }

    public init(json: JSONValue) throws {
        guard let a = json["action"]?.stringValue.flatMap(Action.init(rawValue:)), let n = json["name"]?.stringValue else {
            throw AptOstreeError(.invalidArgument, "A remote request needs an action and a name")
        }
        action = a
        name = n
        url = json["url"]?.stringValue
        options = json["options"]?.arrayValue?.compactMap(\.stringValue) ?? []
        ifNeeded = json["if-needed"]?.boolValue ?? false
        gpgImport = json["gpg-import"]?.stringValue
    }
}
