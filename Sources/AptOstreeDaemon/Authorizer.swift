import AptOstreeDBus
import AptOstreeModel
import CGio
import CGioShims

/// Decides whether a caller may run a method: root (from its bus credentials) may; anyone
/// else is asked about through polkit's own D-Bus API. The one place that maps methods to
/// polkit actions (rpm-ostree's set, under org.debian.aptostree1).
public struct Authorizer: Sendable {
    /// The polkit action for each mutating method; methods not listed are read-only.
    public static let actions: [String: String] = [
        "Rollback": "rollback",
        "DeployCommit": "deploy",
        "ModifyKernelArgs": "bootconfig",
        "SetInitramfsState": "bootconfig",
        "InitramfsEtc": "bootconfig",
        "ApplyLive": "apply-live",
        "Cleanup": "cleanup",
        "PkgChange": "install-uninstall-packages",
        "OverrideChange": "override",
        "RefreshMd": "repo-refresh",
        "UpgradeSystem": "upgrade",
        "AutomaticUpdateTrigger": "upgrade",
        "Rebase": "rebase",
        "Reset": "reset",
        "ModifyRemote": "repo-modify",
        "Reload": "reload-daemon",
        "ReloadConfig": "reload-daemon",
        "Cancel": "cancel",
    ]

    /// The full polkit action id of a method, or nil for read-only methods.
    public static func actionID(for method: String) -> String? {
        actions[method].map { "org.debian.aptostree1.\($0)" }
    }

    let bus: Bus

    /// The caller's uid from the bus.
    func uid(of sender: String) throws -> UInt32 {
        var uid: UInt32 = 0
        try gioCall("Reading caller credentials") { aot_bus_get_unix_user(bus.connection, sender, &uid, $0) }
        return uid
    }

    /// Throws `notAuthorized` unless `sender` may call `method`; returns the caller's uid.
    @discardableResult
    func authorize(sender: String, method: String) throws -> UInt32 {
        let caller = try uid(of: sender)
        guard let action = Self.actionID(for: method), caller != 0 else { return caller }
        var authorized: gboolean = 0, challenge: gboolean = 0
        do {
            try gioCall("Asking polkit") { aot_polkit_check(bus.connection, sender, action, &authorized, &challenge, $0) }
        } catch let e as AptOstreeError {
            throw AptOstreeError(.notAuthorized, "Not authorized to \(method) (\(action)): \(e.message)")
        }
        guard authorized != 0 else {
            throw AptOstreeError(.notAuthorized, "Not authorized to \(method) (\(action)) as uid \(caller)")
        }
        return caller
    }
}
