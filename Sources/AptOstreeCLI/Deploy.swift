import ArgumentParser
import AptOstreeModel

extension AptOstree {
    /// `deploy REVISION`.
    struct Deploy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deploy a specific commit",
            discussion: "REVISION is a checksum or a version (commit metadata) in the history of the current origin's ref, fetched from its remote when it has one; 'revision=CSUM' and 'version=VER' force one reading. Layered packages and overrides are applied onto it, and the origin is pinned to it until the next upgrade.")

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var options: UpdateOptions

        @Flag(help: "Just preview package differences")
        var preview = false

        @Argument(help: ArgumentHelp("The commit checksum or version to deploy.", valueName: "REVISION"))
        var revision: String?

        func validate() throws {
            if revision == nil && !globals.version { throw ValidationError("Missing expected argument '<revision>'") }
        }

        func run() throws {
            if globals.handledVersion() { return }
            var request = UpgradeRequest()
            request.revision = revision
            request.preview = preview
            request.downloadOnly = options.downloadOnly
            request.cacheOnly = options.cacheOnly
            try runUpdate(request, options, globals)
        }
    }

    /// `rollback`.
    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revert to the previously booted tree",
            discussion: "The previous deployment becomes the default; run it again to undo.")

        @OptionGroup var globals: GlobalOptions

        @Flag(name: .shortAndLong, help: "Initiate a reboot after operation is complete.")
        var reboot = false

        func run() throws {
            if globals.handledVersion() { return }
            let changed = try globals.engine().rollback(globals.sysrootOptions, progress: globals.progress)
            if changed { printNextStep(globals) }
            try rebootIfAsked(reboot, globals)
        }
    }

    /// `cleanup`.
    struct Cleanup: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Clear cached/pending data")

        @OptionGroup var globals: GlobalOptions

        @Flag(name: .shortAndLong, help: "Clear temporary files; will leave deployments unchanged.")
        var base = false

        @Flag(name: .shortAndLong, help: "Remove pending deployment.")
        var pending = false

        @Flag(name: .shortAndLong, help: "Remove rollback deployment.")
        var rollback = false

        @Flag(name: [.customShort("m"), .long], help: "Delete cached package metadata.")
        var repomd = false

        func run() throws {
            if globals.handledVersion() { return }
            let request = CleanupRequest(pending: pending, rollback: rollback, base: base, repomd: repomd)
            guard !request.elements.isEmpty else {
                throw AptOstreeError(.invalidArgument, "At least one cleanup option must be specified")
            }
            try globals.engine().cleanup(globals.sysrootOptions, request, progress: globals.progress)
        }
    }
}
