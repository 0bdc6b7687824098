import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit

/// `remote add|delete|list|show-url`: the sysroot repo's remotes, through libostree.
/// Signature checks are on by default: an added remote verifies GPG signatures unless told
/// `gpg-verify=false`, or ed25519 ones with `sign-verify=true` and a key.
public struct Remotes {
    let context: SysrootContext

    public init(context: SysrootContext) { self.context = context }

    public func list() throws -> [(name: String, url: String)] {
        let repo = try withContext("Opening repo") { try context.sysroot.repo() }
        return try repo.remoteList().map { ($0, try repo.remoteURL($0)) }
    }

    public func change(_ request: RemoteRequest) throws {
        try requireRoot("remote \(request.action.rawValue)")
        try context.withLock(progress: SilentProgress()) {
            let repo = try withContext("Opening repo") { try context.sysroot.repo() }
            let exists = repo.remoteList().contains(request.name)
            switch request.action {
            case .add:
                if exists {
                    if request.ifNeeded { return }
                    throw AptOstreeError(.conflict, "Remote '\(request.name)' already exists")
                }
                guard let url = request.url, url.hasPrefix("http://") || url.hasPrefix("https://") || url.hasPrefix("file://") else {
                    throw AptOstreeError(.invalidArgument, "Remote '\(request.name)': the URL must be http://, https:// or file://, not '\(request.url ?? "")'")
                }
                var options: [String: MetadataValue] = [:]
                for kv in request.options {
                    let p = kv.split(separator: "=", maxSplits: 1).map(String.init)
                    guard p.count == 2, !p[0].isEmpty else { throw AptOstreeError(.invalidArgument, "Remote option must be KEY=VALUE, not '\(kv)'") }
                    options[p[0]] = .string(p[1])
                }
                if let keys = request.gpgImport, FS.kind(keys) != .regular {
                    throw AptOstreeError(.notFound, "GPG key file \(keys) does not exist")
                }
                try withContext("Adding remote") { try repo.remoteAdd(request.name, url: url, options: options) }
                if let keys = request.gpgImport {
                    do {
                        try repo.remoteImportGPGKeys(request.name, from: keys)
                    } catch {
                        // No remote without the keys it was meant to trust.
                        try? repo.remoteDelete(request.name)
                        throw AptOstreeError.from(error)
                    }
                }
            case .delete:
                if !exists {
                    if request.ifNeeded { return }
                    throw AptOstreeError(.notFound, "Remote '\(request.name)' not found")
                }
                try withContext("Deleting remote") { try repo.remoteDelete(request.name) }
            }
        }
    }
}
