/// One deployment as `status` reports it: everything is derived from libostree's deployment,
/// its commit (and base commit when layered) and its origin.
public struct DeploymentStatus: Equatable, Sendable {
    /// `osname-checksum.serial`.
    public var id: String
    /// The stateroot.
    public var osname: String
    /// libostree's deploy serial.
    public var serial: Int
    /// The commit deployed (the layered commit when packages are layered).
    public var checksum: String
    /// `version` from the commit's metadata.
    public var version: String?
    /// The commit's timestamp, seconds since the epoch.
    public var timestamp: UInt64
    /// The origin's refspec (or checksum when pinned by one).
    public var origin: String?
    /// The container image reference, when the base is an image.
    public var containerImageReference: String?
    /// Whether this is the deployment the system booted (or stands in for it).
    public var booted: Bool
    /// Whether it is staged for the next boot.
    public var staged: Bool
    /// Whether it is pinned.
    public var pinned: Bool
    /// libostree's unlocked state: none, development, hotfix, transient.
    public var unlocked: String
    /// The parsed origin.
    public var request: Origin
    /// Packages actually layered (from commit metadata).
    public var packages: [String] = []
    /// Base packages actually removed (as the base has them).
    public var baseRemovals: [InstalledPackage] = []
    /// Base packages actually replaced by local packages.
    public var baseLocalReplacements: [PackageReplacement] = []
    /// The kernel command line of the boot entry.
    public var kernelArgs: [String] = []
    /// For layered deployments: the base commit and its version and timestamp.
    public var baseChecksum: String?
    public var baseVersion: String?
    public var baseTimestamp: UInt64?
    /// When the origin's ref points at a newer commit than the deployed base.
    public var pendingBaseChecksum: String?
    public var pendingBaseVersion: String?
    public var pendingBaseTimestamp: UInt64?
    /// The commit `apply-live` made live on the booted deployment, and one an interrupted
    /// apply-live was applying.
    public var liveReplaced: String?
    public var liveInProgress: String?
    /// The package changes from the booted deployment to this one ("2 added, 1 upgraded"),
    /// when both commits carry package lists; nil for the booted one.
    public var packageDiff: String?

    /// Makes a status entry.
    public init(id: String, osname: String, serial: Int, checksum: String, version: String?,
                timestamp: UInt64, origin: String?, booted: Bool, staged: Bool, pinned: Bool,
                unlocked: String, request: Origin) {
        self.id = id
        self.osname = osname
        self.serial = serial
        self.checksum = checksum
        self.version = version
        self.timestamp = timestamp
        self.origin = origin
        self.booted = booted
        self.staged = staged
        self.pinned = pinned
        self.unlocked = unlocked
        self.request = request
    }

    /// Whether the deployed commit was assembled locally on top of a base.
    public var isLayered: Bool { baseChecksum != nil }

    /// rpm-ostree's JSON shape for one deployment.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(id),
            "osname": .string(osname),
            "serial": .int(Int64(serial)),
            "checksum": .string(checksum),
            "version": .optional(version),
            "timestamp": .int(Int64(timestamp)),
            "booted": .bool(booted),
            "staged": .bool(staged),
            "pinned": .bool(pinned),
            "unlocked": .string(unlocked),
            "requested-packages": .strings(request.requestedPackages),
            "requested-local-packages": .strings(request.requestedLocalPackages),
            "requested-base-removals": .strings(request.overrideRemove),
            "requested-base-local-replacements": .strings(request.overrideReplaceLocal),
            "requested-base-remote-replacements": .strings(request.overrideReplace),
            "packages": .strings(packages),
            "base-removals": .array(baseRemovals.map(\.json)),
            "base-local-replacements": .array(baseLocalReplacements.map { .array([$0.to.json, $0.from.json]) }),
            "regenerate-initramfs": .bool(request.regenerateInitramfs),
            "initramfs-args": .strings(request.initramfsArgs),
            "initramfs-etc": .strings(request.initramfsEtc),
            "kernel-args": .strings(kernelArgs),
        ]
        if let containerImageReference {
            o["container-image-reference"] = .string(containerImageReference)
        } else {
            o["origin"] = .optional(origin)
        }
        if let baseChecksum {
            o["base-checksum"] = .string(baseChecksum)
            o["base-version"] = .optional(baseVersion)
            o["base-timestamp"] = baseTimestamp.map { .int(Int64($0)) } ?? .null
        }
        if let pendingBaseChecksum {
            o["pending-base-checksum"] = .string(pendingBaseChecksum)
            o["pending-base-version"] = .optional(pendingBaseVersion)
            o["pending-base-timestamp"] = pendingBaseTimestamp.map { .int(Int64($0)) } ?? .null
        }
        if let v = request.overrideCommit { o["override-commit"] = .string(v) }
        if let packageDiff { o["package-diff"] = .string(packageDiff) }
        if let liveReplaced { o["live-replaced"] = .string(liveReplaced) }
        if let liveInProgress { o["live-inprogress"] = .string(liveInProgress) }
        return .object(o)
    }
}

/// The running transaction, as the daemon reports it: (title, initiator, address).
public struct TransactionInfo: Equatable, Sendable {
    /// What the transaction does, e.g. `kargs`.
    public var title: String
    /// Who started it (client description).
    public var initiator: String
    /// The D-Bus address or object path of the transaction.
    public var address: String

    /// Makes a transaction description.
    public init(title: String, initiator: String, address: String) {
        self.title = title
        self.initiator = initiator
        self.address = address
    }
}

/// The whole of `status`: the deployments plus daemon-side state.
public struct HostStatus: Equatable, Sendable {
    /// Deployments, default first.
    public var deployments: [DeploymentStatus]
    /// The transaction in progress, if any.
    public var transaction: TransactionInfo?
    /// A cached update found by an automatic check, if any.
    public var cachedUpdate: JSONValue?
    /// The automatic update policy (`none`, `check`, `stage`, `security`).
    public var automaticUpdatePolicy: String
    /// The last run of the automatic update service, if any.
    public var lastAutomaticRun: AutomaticRun?
    /// Whether a real booted deployment exists (false: the default stands in for it).
    public var hasRealBootedDeployment: Bool

    /// Makes a status.
    public init(deployments: [DeploymentStatus], transaction: TransactionInfo? = nil,
                cachedUpdate: JSONValue? = nil, automaticUpdatePolicy: String = "none",
                hasRealBootedDeployment: Bool = false) {
        self.deployments = deployments
        self.transaction = transaction
        self.cachedUpdate = cachedUpdate
        self.automaticUpdatePolicy = automaticUpdatePolicy
        self.hasRealBootedDeployment = hasRealBootedDeployment
    }

    /// The booted deployment (or the default standing in for it).
    public var booted: DeploymentStatus? { deployments.first(where: \.booted) }

    /// rpm-ostree's top-level JSON: deployments, transaction, cached-update, update-driver;
    /// plus `automatic-updates` (the policy and the service's last run), which rpm-ostree
    /// leaves to systemd.
    public func json(onlyBooted: Bool = false) -> JSONValue {
        let list = onlyBooted ? deployments.filter(\.booted) : deployments
        return .object([
            "deployments": .array(list.map(\.json)),
            "transaction": transaction.map { .strings([$0.title, $0.initiator, $0.address]) } ?? .null,
            "cached-update": cachedUpdate ?? .null,
            "update-driver": .null,
            "automatic-updates": ["policy": .string(automaticUpdatePolicy), "last-run": lastAutomaticRun?.json ?? .null],
        ])
    }
}
