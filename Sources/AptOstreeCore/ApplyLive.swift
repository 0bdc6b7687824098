import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit
#if canImport(Glibc)
import Glibc
#endif

/// `apply-live`: the pending deployment's changes made live on the running system, no reboot.
///
/// The booted deployment's /usr gets libostree's transient overlay (read-only for everyone;
/// only a private mount namespace remounts it writable), the files that differ between the
/// running tree and the target are copied in (removed ones taken out), /etc gains the
/// target's new default files the machine does not have yet, and systemd-tmpfiles and
/// systemd-sysusers run for the new packages. The state (which commit is live, which one an
/// interrupted run was applying) lives in /run, so it ends with the overlay at reboot.
public struct ApplyLive {
    let context: SysrootContext
    let progress: ProgressSink

    public init(context: SysrootContext, progress: ProgressSink) {
        self.context = context
        self.progress = progress
    }

    /// Where the live state of a booted deployment is kept (transient, like the overlay).
    static let stateDirectory = "/run/apt-ostree/live"

    /// The live state of deployment `id`: the commit applied, and one being applied when a
    /// run was interrupted.
    public struct State: Equatable, Sendable {
        public var commit = ""
        public var inProgress = ""

        static func read(_ id: String) -> State? {
            guard let text = try? FileText.read(stateDirectory + "/" + id) else { return nil }
            var s = State()
            for line in text.split(separator: "\n") {
                if line.hasPrefix("commit=") { s.commit = String(line.dropFirst(7)) }
                if line.hasPrefix("inprogress=") { s.inProgress = String(line.dropFirst(11)) }
            }
            return s
        }

        func write(_ id: String) throws {
            try FS.makeDirectories(ApplyLive.stateDirectory)
            try FS.writeFile(ApplyLive.stateDirectory + "/" + id, "commit=\(commit)\ninprogress=\(inProgress)\n")
        }
    }

    /// The live state of a deployment, when it is the booted one and something was applied.
    public static func state(of d: Deployment) -> State? { State.read(d.id) }

    /// Applies the target (`request.target`, else the pending deployment; the booted commit
    /// with `reset`); returns whether anything changed.
    public func run(_ request: ApplyLiveRequest) throws -> Bool {
        try context.withLock(progress: progress) {
            guard let booted = context.sysroot.booted else {
                throw AptOstreeError(.invalidArgument, "apply-live needs a booted deployment; \(context.options.path) is not the running system")
            }
            let repo = try withContext("Opening repo") { try context.sysroot.repo() }
            let state = State.read(booted.id)
            let target: String
            if request.reset {
                target = booted.checksum
            } else if let t = request.target {
                guard let c = try withContext("Resolving \(t)", { try repo.resolve(t, allowMissing: true) }) else {
                    throw AptOstreeError(.notFound, "apply-live: no commit \(t)")
                }
                target = c
            } else {
                guard let pending = context.pendingDeployment(of: booted.osname) else {
                    throw AptOstreeError(.invalidArgument, "No target commit specified and no pending deployment")
                }
                target = pending.checksum
            }
            if let s = state, !s.inProgress.isEmpty, s.inProgress != target {
                throw AptOstreeError(.failed, "Previously interrupted while targeting commit \(s.inProgress), cannot change target to \(target)")
            }
            let source = state.map { $0.commit.isEmpty ? booted.checksum : $0.commit } ?? booted.checksum
            if source == target && (state?.inProgress ?? "").isEmpty {
                progress.message(request.reset ? "No live changes to reset." : "No changes: the running tree is already \(target.prefix(12)).")
                return false
            }

            // Package-level check: only additions go live unless replacement is allowed.
            if let from = try repo.loadCommit(source).packageList, let to = try repo.loadCommit(target).packageList {
                let pd = PackageDiff(from: from, to: to)
                let changed = pd.upgraded.map(\.to.name) + pd.downgraded.map(\.to.name)
                if !request.allowReplacement && !request.reset {
                    if !pd.removed.isEmpty {
                        throw AptOstreeError(.invalidArgument, "packages would be removed: \(pd.removed.count) (\(pd.removed.map(\.name).joined(separator: ", "))); use --allow-replacement")
                    }
                    if !changed.isEmpty {
                        throw AptOstreeError(.invalidArgument, "packages would be changed: \(changed.count) (\(changed.joined(separator: ", "))); use --allow-replacement")
                    }
                }
                progress.message("Computed package diff: \(pd.added.count) added, \(changed.count) changed, \(pd.removed.count) removed")
            }
            let diff = try withContext("Comparing the trees") { try repo.diff(from: source, to: target, subpath: "usr") }
            progress.message("Computed /usr diff: \(diff.summary)")
            try progress.checkpoint()

            // The transient overlay on /usr (read-only outside our private namespace).
            switch booted.unlockedState {
            case "none":
                try withContext("Creating the /usr overlay") { try context.sysroot.unlock(booted, state: "transient") }
            case "transient", "development":
                break
            case let other:
                throw AptOstreeError(.failed, "apply-live is incompatible with unlock state: \(other)")
            }
            var s = state ?? State()
            s.inProgress = target
            try s.write(booted.id)

            let scratch = try makeTemporaryDirectory(under: context.repoPath + "/tmp")
            defer { try? FS.remove(scratch) }
            let root = scratch + "/root"
            try withContext("Checking out \(target.prefix(12))") { try repo.checkoutHardlinked(target, to: root) }
            try FS.writeFile(scratch + "/copy", (diff.added + diff.modified).joined(separator: "\n") + "\n")
            try FS.writeFile(scratch + "/remove", diff.removed.joined(separator: "\n") + "\n")
            progress.message("Updating /usr")
            // In a private mount namespace: /usr writable there only, for these copies.
            let script = """
                set -e
                if ! touch /usr/.apt-ostree-live 2>/dev/null; then mount -o remount,rw /usr; fi
                rm -f /usr/.apt-ostree-live
                while IFS= read -r p; do [ -n "$p" ] && rm -rf -- "$p"; done < "$1/remove"
                cd "$1/root"
                while IFS= read -r p; do [ -n "$p" ] && cp -a --remove-destination --parents -- ".$p" /; done < "$1/copy"
                """
            try withContext("Updating /usr") {
                try Subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", scratch], tailLines: 8)
            }

            // /etc: the target's new default files the machine does not have yet (local files win).
            var etcAdded = 0
            for path in diff.added + diff.modified where path.hasPrefix("/usr/etc/") {
                let rel = String(path.dropFirst("/usr/etc".count))
                guard FS.kind("/etc" + rel) == .missing else { continue }
                try FS.makeDirectories(FS.dirname(of: "/etc" + rel))
                try Subprocess.run(["cp", "-a", "--", root + path, "/etc" + rel])
                etcAdded += 1
            }
            if etcAdded > 0 { progress.message("Updated /etc: \(etcAdded) new file\(etcAdded == 1 ? "" : "s")") }
            // Users, groups and /var and /run entries the new packages declare.
            for (tool, args) in [("systemd-sysusers", [String]()), ("systemd-tmpfiles", ["--create", "--prefix=/run", "--prefix=/var"])]
            where FS.kind("/usr/bin/" + tool) == .regular {
                var lines: [String] = []
                let status = try Subprocess.run(["/usr/bin/" + tool] + args, allowFailure: true) { lines.append($0) }
                if status != 0 {
                    progress.message("warning: \(tool) exited with status \(status): " + lines.suffix(2).joined(separator: "; "))
                }
            }
            if request.reset {
                try? FS.remove(Self.stateDirectory + "/" + booted.id)
            } else {
                s.commit = target
                s.inProgress = ""
                try s.write(booted.id)
            }
            progress.message("Successfully updated running filesystem tree.")
            return true
        }
    }

    /// `usroverlay`: libostree's unlock of the booted deployment (`development` by default:
    /// writable until reboot; `hotfix`: kept across reboots; `transient`: read-only).
    public func usroverlay(state: String) throws {
        try context.withLock(progress: progress) {
            guard let booted = context.sysroot.booted else {
                throw AptOstreeError(.invalidArgument, "usroverlay needs a booted deployment; \(context.options.path) is not the running system")
            }
            do { try context.sysroot.unlock(booted, state: state) } catch { throw AptOstreeError.from(error) }
            switch state {
            case "hotfix": progress.message("Hotfix mode enabled.  A writable overlayfs is now mounted on /usr\nfor this booted deployment.  A non-hotfixed clone has been created\nas the non-default rollback target.")
            case "transient": progress.message("A read-only overlayfs is now mounted on /usr; apply-live writes to it.")
            default: progress.message("Development mode enabled.  A writable overlayfs is now mounted on /usr.\nAll changes there will be discarded on reboot.")
            }
        }
    }
}
