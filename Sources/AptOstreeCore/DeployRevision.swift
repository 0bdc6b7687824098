import AptOstreeModel
import OSTreeKit

/// `deploy REVISION`'s lookup: a commit of a ref's history by checksum or by the `version`
/// in its commit metadata. (`Upgrade` fetches it, deploys it with the origin's layering, and
/// pins the origin to it with `override-commit`.)
enum DeployRevision {
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
