import AptOstreePOSIX
import AptOstreeModel
import OSTreeKit

/// `rollback`: make the previous deployment the default (rpm-ostree's semantics).
///
/// Relative to the booted deployment (or the default standing in for it): if a rollback
/// deployment exists it moves to the top; if there is only a pending one, the booted one
/// moves back on top (undoing an upgrade or a rollback). A staged deployment is refused.
public struct Rollback {
    /// The request: which stateroot.
    public struct Request: Sendable { public init() {} }

    /// What changed.
    public struct Result: Sendable, Equatable {
        /// The deployment now first, as `checksum.serial`.
        public var newDefault: String
        /// Whether the deployment list was rewritten.
        public var changed: Bool
    }

    let context: SysrootContext
    let progress: ProgressSink

    /// Makes the operation.
    public init(context: SysrootContext, progress: ProgressSink) {
        self.context = context
        self.progress = progress
    }

    /// Runs it under the sysroot lock.
    public func run(_ request: Request = Request()) throws -> Result {
        try context.withLock(progress: progress) {
            let sysroot = context.sysroot
            let osname = try context.osname()
            let all = sysroot.deployments
            guard let booted = context.bootedOrDefault,
                  let bootedIndex = all.firstIndex(where: { $0.isSame(as: booted) }) else {
                throw AptOstreeError(.notFound, "No deployments in \(context.options.path)")
            }
            let pending = all[..<bootedIndex].first { $0.osname == osname }
            var target = all[(bootedIndex + 1)...].first { $0.osname == osname }
            if target == nil && pending == nil {
                throw AptOstreeError(.notFound, "No rollback deployment found")
            }
            if let pending, pending.isStaged {
                throw AptOstreeError(.conflict, "Staged deployment (remove with cleanup -p)")
            }
            if target == nil { target = booted }
            let t = target!
            let label = "\(t.checksum).\(t.deploySerial)"
            progress.message("Moving '\(label)' to be first deployment")
            let reordered = [t] + all.filter { !$0.isSame(as: t) }
            guard !reordered[0].isSame(as: all[0]) else {
                return Result(newDefault: label, changed: false)
            }
            try progress.checkpoint()
            try Failpoint.hit("deploy.before")
            try withContext("Writing deployments") { try sysroot.writeDeployments(reordered) }
            try Failpoint.hit("deploy.after")
            return Result(newDefault: label, changed: true)
        }
    }
}
