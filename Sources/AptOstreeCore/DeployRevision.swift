import AptOstreeModel
import OSTreeKit

/// `deploy REVISION`: deploy a given commit of the current origin's ref, by checksum or by
/// the `version` in its commit metadata, and pin the origin to it (`override-commit`).
public struct DeployRevision {
    /// The request.
    public struct Request: Sendable {
        /// A checksum, a version, or `revision=CSUM` / `version=VER` (rpm-ostree's forms).
        public var revision: String
        /// Makes a request.
        public init(revision: String) { self.revision = revision }
    }

    /// What was deployed.
    public struct Result: Sendable, Equatable {
        /// The commit deployed.
        public var checksum: String
        /// Its version, if any.
        public var version: String?
        /// Whether a new deployment was written (false: already the default).
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
    public func run(_ request: Request) throws -> Result {
        try context.withLock(progress: progress) {
            let osname = try context.osname()
            let current = try context.defaultDeployment(of: osname)
            var origin = current.origin.map(OriginCodec.decode) ?? Origin()
            guard let refspec = origin.refspec else {
                throw AptOstreeError(.invalidArgument, "Deployment \(current.id) has no origin refspec to deploy from")
            }
            guard !origin.hasLayering else {
                throw AptOstreeError(.failed,
                    "Deployment \(current.id) has layered packages or overrides; re-applying them needs package layering")
            }
            let repo = try withContext("Opening repo") { try context.sysroot.repo() }
            let target = try withContext("Resolving '\(request.revision)' in \(refspec)") {
                try Self.resolve(request.revision, refspec: refspec, repo: repo)
            }
            if target.checksum == current.checksum && origin.overrideCommit == target.checksum {
                progress.message("No change.")
                return Result(checksum: target.checksum, version: target.version, changed: false)
            }
            progress.message("Deploying \(target.version.map { "\($0) " } ?? "")(\(target.checksum))")
            origin.overrideCommit = target.checksum
            _ = try DeploymentWriter(context: context, progress: progress).write(
                osname: osname, revision: target.checksum, origin: origin, originBase: current.origin,
                kernelArgs: nil)
            return Result(checksum: target.checksum, version: target.version, changed: true)
        }
    }

    /// Finds `revision` in the history of `refspec` (head first, following parents that are
    /// present locally).
    static func resolve(_ revision: String, refspec: String, repo: Repo) throws -> Commit {
        enum Want { case checksum(String), version(String) }
        let want: Want
        if revision.hasPrefix("revision=") {
            let v = String(revision.dropFirst("revision=".count))
            want = isChecksum(v) ? .checksum(v) : .version(v)
        } else if revision.hasPrefix("version=") {
            want = .version(String(revision.dropFirst("version=".count)))
        } else {
            want = isChecksum(revision) ? .checksum(revision) : .version(revision)
        }
        if case .version(let v) = want, v.isEmpty {
            throw AptOstreeError(.invalidArgument, "empty version")
        }
        guard let head = try repo.resolve(refspec, allowMissing: true) else {
            throw AptOstreeError(.notFound, "ref \(refspec) not found in the repo")
        }
        var next: String? = head
        var oldest = head
        while let csum = next, let commit = try repo.loadCommitIfPresent(csum) {
            switch want {
            case .checksum(let c) where c == csum: return commit
            case .version(let v) where commit.version == v: return commit
            default: oldest = csum; next = commit.parent
            }
        }
        // A parent that is not here was pruned (libostree keeps ref tips and deployments).
        let cut = next.map { _ in " (local history ends at \(oldest); older commits were pruned)" } ?? ""
        switch want {
        case .checksum(let c): throw AptOstreeError(.notFound, "checksum \(c) not found in the history of \(refspec)\(cut)")
        case .version(let v): throw AptOstreeError(.notFound, "version \(v) not found in the history of \(refspec)\(cut)")
        }
    }

    /// Whether `s` is a full SHA-256 hex checksum.
    static func isChecksum(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}
