extension DeploymentStatus {
    /// Reads the JSON form `json` writes (what the daemon's GetStatus returns).
    public init(json j: JSONValue) throws {
        func str(_ k: String) throws -> String {
            guard let s = j[k]?.stringValue else { throw AptOstreeError(.failed, "status: deployment without '\(k)'") }
            return s
        }
        func strs(_ k: String) -> [String] { j[k]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        func uint(_ k: String) -> UInt64? { j[k]?.intValue.map { UInt64(max(0, $0)) } }
        var request = Origin(refspec: j["origin"]?.stringValue)
        request.containerImageReference = j["container-image-reference"]?.stringValue
        request.overrideCommit = j["override-commit"]?.stringValue
        request.requestedPackages = strs("requested-packages")
        request.requestedLocalPackages = strs("requested-local-packages")
        request.overrideRemove = strs("requested-base-removals")
        request.overrideReplaceLocal = strs("requested-base-local-replacements")
        request.overrideReplace = strs("requested-base-remote-replacements")
        request.regenerateInitramfs = j["regenerate-initramfs"]?.boolValue ?? false
        request.initramfsArgs = strs("initramfs-args")
        request.initramfsEtc = strs("initramfs-etc")
        self.init(id: try str("id"), osname: try str("osname"), serial: Int(j["serial"]?.intValue ?? 0),
                  checksum: try str("checksum"), version: j["version"]?.stringValue, timestamp: uint("timestamp") ?? 0,
                  origin: j["origin"]?.stringValue, booted: j["booted"]?.boolValue ?? false,
                  staged: j["staged"]?.boolValue ?? false, pinned: j["pinned"]?.boolValue ?? false,
                  unlocked: j["unlocked"]?.stringValue ?? "none", request: request)
        containerImageReference = request.containerImageReference
        packages = strs("packages")
        baseRemovals = j["base-removals"]?.arrayValue?.compactMap(InstalledPackage.init(json:)) ?? []
        baseLocalReplacements = j["base-local-replacements"]?.arrayValue?.compactMap { pair in
            guard let to = pair[0].flatMap(InstalledPackage.init(json:)), let from = pair[1].flatMap(InstalledPackage.init(json:)) else { return nil }
            return PackageReplacement(from: from, to: to)
        } ?? []
        kernelArgs = strs("kernel-args")
        baseChecksum = j["base-checksum"]?.stringValue
        baseVersion = j["base-version"]?.stringValue
        baseTimestamp = uint("base-timestamp")
        pendingBaseChecksum = j["pending-base-checksum"]?.stringValue
        pendingBaseVersion = j["pending-base-version"]?.stringValue
        pendingBaseTimestamp = uint("pending-base-timestamp")
        packageDiff = j["package-diff"]?.stringValue
        liveReplaced = j["live-replaced"]?.stringValue
        liveInProgress = j["live-inprogress"]?.stringValue
    }
}

extension HostStatus {
    /// Reads the JSON form `json()` writes, plus the daemon's extra keys
    /// (`booted-is-real`).
    public init(json j: JSONValue) throws {
        guard let list = j["deployments"]?.arrayValue else { throw AptOstreeError(.failed, "status: no deployments") }
        var txn: TransactionInfo? = nil
        if let t = j["transaction"]?.arrayValue, t.count == 3 {
            txn = TransactionInfo(title: t[0].stringValue ?? "", initiator: t[1].stringValue ?? "", address: t[2].stringValue ?? "")
        }
        // (Spelled out: JSONValue is nil-literal-expressible, so a bare `nil` would be .null.)
        let cached: JSONValue? = j["cached-update"] == .null ? Optional.none : j["cached-update"]
        self.init(deployments: try list.map(DeploymentStatus.init(json:)), transaction: txn, cachedUpdate: cached,
                  automaticUpdatePolicy: j["automatic-updates"]?["policy"]?.stringValue ?? "none",
                  hasRealBootedDeployment: j["booted-is-real"]?.boolValue ?? false)
        lastAutomaticRun = AutomaticRun(json: j["automatic-updates"]?["last-run"])
    }

    /// The JSON the daemon sends: `json()` plus the keys the client's renderer needs.
    public var daemonJSON: JSONValue {
        guard case .object(var o) = json() else { return json() }
        o["booted-is-real"] = .bool(hasRealBootedDeployment)
        return .object(o)
    }
}
