import CLibOSTree
import COSTreeShims

/// One deployment of a sysroot: a checkout of a commit, its boot entry and origin.
public final class Deployment: GObjectRef, @unchecked Sendable {
    var pointer: OpaquePointer { OpaquePointer(raw) }

    /// The stateroot (osname).
    public var osname: String { String(cString: ostree_deployment_get_osname(pointer)) }
    /// The commit checksum deployed.
    public var checksum: String { String(cString: ostree_deployment_get_csum(pointer)) }
    /// The serial distinguishing deployments of the same commit.
    public var deploySerial: Int32 { ostree_deployment_get_deployserial(pointer) }
    /// Whether this deployment waits to be finalized at shutdown.
    public var isStaged: Bool { ostree_deployment_is_staged(pointer) != 0 }
    /// Whether this deployment is pinned against garbage collection.
    public var isPinned: Bool { ostree_deployment_is_pinned(pointer) != 0 }
    /// libostree's name for the unlocked state: none, development, hotfix, transient.
    public var unlockedState: String {
        String(cString: ostree_deployment_unlocked_state_to_string(ostree_deployment_get_unlocked(pointer)))
    }

    /// rpm-ostree's deployment id: `osname-checksum.serial`.
    public var id: String { "\(osname)-\(checksum).\(deploySerial)" }

    /// A copy of the origin keyfile, or nil when the deployment has none.
    public var origin: KeyFile? {
        guard let kf = ostree_deployment_get_origin(pointer) else { return nil }
        return KeyFile(retaining: kf)
    }

    /// The kernel command line from the deployment's boot entry (`options`), or "" when the
    /// deployment has no boot config (a staged deployment before finalization).
    public var kernelArguments: String {
        guard let bc = ostree_deployment_get_bootconfig(pointer),
              let opts = ostree_bootconfig_parser_get(bc, "options") else { return "" }
        return String(cString: opts)
    }

    /// Whether two objects describe the same deployment (osname, checksum and serial).
    public func isSame(as other: Deployment) -> Bool {
        ostree_deployment_equal(raw, other.raw) != 0
    }
}
