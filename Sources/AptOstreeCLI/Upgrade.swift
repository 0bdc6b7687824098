import ArgumentParser
import AptOstreeModel
import AptOstreePOSIX

/// Options upgrade and rebase share with rpm-ostree.
struct UpdateOptions: ParsableArguments {
    @Flag(name: .customLong("download-only"), help: "Just download latest ostree and package changes, don't deploy")
    var downloadOnly = false

    @Flag(name: [.customShort("C"), .customLong("cache-only")], help: "Do not download latest ostree and package changes")
    var cacheOnly = false

    @Flag(name: .shortAndLong, help: "Initiate a reboot after operation is complete")
    var reboot = false

    @Flag(name: .customLong("unchanged-exit-77"), help: "If no new deployment made, exit 77")
    var unchangedExit77 = false

    @Flag(name: .customLong("bypass-driver"), help: "Accepted for rpm-ostree compatibility (no update drivers here)")
    var bypassDriver = false
}

extension AptOstree {
    /// `upgrade`.
    struct Upgrade: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Perform a system upgrade",
            discussion: "Pulls the origin's ref (from its remote), applies the layered packages again onto the new base, and deploys it.")
        @OptionGroup var globals: GlobalOptions
        @OptionGroup var options: UpdateOptions

        @Flag(help: "Just check if an upgrade is available (exit 77 when not), without downloading it")
        var check = false

        @Flag(help: "Just preview package differences (exit 77 when no upgrade)")
        var preview = false

        @Flag(name: .customLong("allow-downgrade"), help: "Permit deployment of chronologically older trees")
        var allowDowngrade = false

        @Flag(name: .customLong("trigger-automatic-update-policy"),
              help: "Do what AutomaticUpdatePolicy in apt-ostreed.conf says (what apt-ostreed-automatic.service runs)")
        var triggerAutomatic = false

        func validate() throws {
            if triggerAutomatic && (check || preview || allowDowngrade || options.downloadOnly || options.cacheOnly) {
                throw ValidationError("--trigger-automatic-update-policy takes none of --check, --preview, --download-only, --cache-only, --allow-downgrade")
            }
        }

        func run() throws {
            if globals.handledVersion() { return }
            if triggerAutomatic {
                let deployed = try globals.engine().automaticUpdate(globals.sysrootOptions, policy: nil, progress: globals.progress)
                if deployed == true {
                    printNextStep(globals)
                    try rebootIfAsked(options.reboot, globals)
                } else if deployed == false && options.unchangedExit77 {
                    throw ExitCode(ExitStatus.unchanged)
                }
                return
            }
            var request = UpgradeRequest()
            request.check = check
            request.preview = preview
            request.downloadOnly = options.downloadOnly
            request.cacheOnly = options.cacheOnly
            request.allowDowngrade = allowDowngrade
            try runUpdate(request, options, globals)
        }
    }

    /// `rebase REFSPEC`.
    struct Rebase: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Switch to a different tree",
            discussion: "REFSPEC is REMOTE:REF, REMOTE: (same ref from another remote) or REF (same remote). Layered packages are kept.")
        @OptionGroup var globals: GlobalOptions
        @OptionGroup var options: UpdateOptions

        @Argument(help: ArgumentHelp("The new refspec.", valueName: "REFSPEC"))
        var refspec: String?

        @Argument(help: ArgumentHelp("A checksum or version of it to deploy (pinned).", valueName: "REVISION"))
        var revision: String?

        func validate() throws {
            if refspec == nil && !globals.version { throw ValidationError("Missing expected argument '<refspec>'") }
        }

        func run() throws {
            if globals.handledVersion() { return }
            var request = UpgradeRequest()
            request.rebase = refspec
            request.revision = revision
            request.downloadOnly = options.downloadOnly
            request.cacheOnly = options.cacheOnly
            try runUpdate(request, options, globals)
        }
    }

    /// `reset`.
    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove all mutations (layered packages, overrides, initramfs settings)")
        @OptionGroup var globals: GlobalOptions

        @Flag(name: .shortAndLong, help: "Initiate a reboot after operation is complete")
        var reboot = false

        @Flag(name: [.customShort("l"), .long], help: "Remove all overlayed packages")
        var overlays = false

        @Flag(name: [.customShort("o"), .long], help: "Remove all overrides")
        var overrides = false

        @Flag(name: [.customShort("i"), .long], help: "Stop regenerating initramfs or tracking files")
        var initramfs = false

        func run() throws {
            if globals.handledVersion() { return }
            let request = ResetRequest(overlays: overlays, overrides: overrides, initramfs: initramfs)
            if try globals.engine().reset(globals.sysrootOptions, request, progress: globals.progress) {
                printNextStep(globals)
                try rebootIfAsked(reboot, globals)
            }
        }
    }

    /// `remote add|delete|list|show-url` (rpm-ostree leaves this to `ostree remote`).
    struct Remote: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the sysroot repository's remotes",
            subcommands: [Add.self, Delete.self, List.self, ShowURL.self])
    }
}

extension AptOstree.Remote {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a remote",
            discussion: "Signatures are checked by default (GPG); pass --set=gpg-verify=false to turn that off, or --set=sign-verify=true --set=verification-ed25519-key=KEY for ed25519.")
        @OptionGroup var globals: GlobalOptions
        @Argument var name: String
        @Argument var url: String
        @Option(name: .customLong("set"), help: ArgumentHelp("A remote option", valueName: "KEY=VALUE"))
        var settings: [String] = []
        @Flag(name: .customLong("no-gpg-verify"), help: "Do not check GPG signatures")
        var noGpgVerify = false
        @Flag(name: .customLong("if-not-exists"), help: "Do nothing if the remote exists")
        var ifNotExists = false
        @Option(name: .customLong("gpg-import"), help: ArgumentHelp("Trust the GPG public keys in FILE for this remote", valueName: "FILE"))
        var gpgImport: String?

        func run() throws {
            if globals.handledVersion() { return }
            var r = RemoteRequest(action: .add, name: name)
            r.url = url
            r.options = settings + (noGpgVerify ? ["gpg-verify=false"] : [])
            r.ifNeeded = ifNotExists
            r.gpgImport = gpgImport.map(FS.absolute)
            try globals.engine().changeRemote(globals.sysrootOptions, r)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a remote")
        @OptionGroup var globals: GlobalOptions
        @Argument var name: String
        @Flag(name: .customLong("if-exists"), help: "Do nothing if the remote does not exist")
        var ifExists = false

        func run() throws {
            if globals.handledVersion() { return }
            var r = RemoteRequest(action: .delete, name: name)
            r.ifNeeded = ifExists
            try globals.engine().changeRemote(globals.sysrootOptions, r)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List remotes")
        @OptionGroup var globals: GlobalOptions
        @Flag(name: [.customShort("u"), .customLong("show-urls")], help: "Show remote URLs in list")
        var showURLs = false

        func run() throws {
            if globals.handledVersion() { return }
            for r in try globals.engine().remotes(globals.sysrootOptions) { print(showURLs ? "\(r.name)  \(r.url)" : r.name) }
        }
    }

    struct ShowURL: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show-url", abstract: "Show a remote's URL")
        @OptionGroup var globals: GlobalOptions
        @Argument var name: String

        func run() throws {
            if globals.handledVersion() { return }
            guard let r = try globals.engine().remotes(globals.sysrootOptions).first(where: { $0.name == name }) else {
                throw AptOstreeError(.notFound, "Remote '\(name)' not found")
            }
            print(r.url)
        }
    }
}

/// Runs an upgrade or rebase and turns its outcome into rpm-ostree's exit codes.
func runUpdate(_ request: UpgradeRequest, _ options: UpdateOptions, _ globals: GlobalOptions) throws {
    let r = try globals.engine().upgrade(globals.sysrootOptions, request, progress: globals.progress)
    if request.check || request.preview {
        if !r.available { throw ExitCode(ExitStatus.unchanged) }
        return
    }
    guard r.deployed else {
        if options.unchangedExit77 { throw ExitCode(ExitStatus.unchanged) }
        return
    }
    printNextStep(globals)
    try rebootIfAsked(options.reboot, globals)
}
