import ArgumentParser
import AptOstreeModel

/// The options install and uninstall share with rpm-ostree.
struct PackageOptions: ParsableArguments {
    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Exit after printing the transaction")
    var dryRun = false

    @Flag(help: "Do nothing if the package is already (or not) requested")
    var idempotent = false

    @Flag(name: [.customShort("C"), .customLong("cache-only")], help: "Do not download latest package lists")
    var cacheOnly = false

    @Flag(name: .customLong("download-only"), help: "Just download packages, do not deploy")
    var downloadOnly = false

    @Flag(name: .shortAndLong, help: "Initiate a reboot after operation is complete")
    var reboot = false

    @Flag(name: [.customShort("y"), .customLong("assumeyes")], help: "Auto-confirm non-interactive prompts (accepted: there are none)")
    var assumeYes = false

    @Flag(name: .customLong("unchanged-exit-77"), help: "If no overlays were changed, exit 77")
    var unchangedExit77 = false
}

extension AptOstree {
    /// `install PKG...`.
    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Overlay additional packages",
            discussion: "A new deployment: the base commit plus the packages (resolved and downloaded by apt, installed by dpkg in a sandbox). The request is kept in the origin and re-applied to every new base.")

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var options: PackageOptions

        @Flag(name: .customLong("allow-inactive"), help: "Allow inactive package requests (a package already in the base)")
        var allowInactive = false

        @Option(name: .customLong("uninstall"), help: ArgumentHelp("Remove overlayed package PKG in the same transaction", valueName: "PKG"))
        var uninstall: [String] = []

        @Flag(name: [.customShort("A"), .customLong("apply-live")], help: "Apply changes to both pending deployment and running filesystem tree")
        var applyLive = false

        @Argument(help: ArgumentHelp("Packages to install.", valueName: "PACKAGE"))
        var packages: [String] = []

        func validate() throws {
            if packages.isEmpty && !globals.version { throw ValidationError("At least one PACKAGE must be specified") }
        }

        func run() throws {
            if globals.handledVersion() { return }
            var request = PackageChangeRequest(install: packages, uninstall: uninstall)
            request.allowInactive = allowInactive
            if applyLive && options.reboot { throw ValidationError("Cannot specify both --apply-live and --reboot") }
            try runPackageChange(request, options, globals, applyLive: applyLive)
        }
    }

    /// `uninstall PKG...` (alias `remove`).
    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove overlayed additional packages", aliases: ["remove"])

        @OptionGroup var globals: GlobalOptions
        @OptionGroup var options: PackageOptions

        @Option(name: .customLong("install"), help: ArgumentHelp("Overlay additional package PKG in the same transaction", valueName: "PKG"))
        var install: [String] = []

        @Flag(name: .customLong("all"), help: "Remove all overlayed additional packages")
        var all = false

        @Argument(help: ArgumentHelp("Packages to remove.", valueName: "PACKAGE"))
        var packages: [String] = []

        func validate() throws {
            if packages.isEmpty && !all && !globals.version { throw ValidationError("At least one PACKAGE must be specified") }
        }

        func run() throws {
            if globals.handledVersion() { return }
            var remove = packages
            if all {
                remove = try globals.engine().status(globals.sysrootOptions).deployments.first?.request.requestedPackages ?? []
            }
            try runPackageChange(PackageChangeRequest(install: install, uninstall: remove), options, globals)
        }
    }

    /// `refresh-md`.
    struct RefreshMd: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "refresh-md", abstract: "Generate package repo metadata")

        @OptionGroup var globals: GlobalOptions

        @Flag(name: .shortAndLong, help: "Accepted for rpm-ostree compatibility (apt always checks for changes)")
        var force = false

        func run() throws {
            if globals.handledVersion() { return }
            try globals.engine().refreshMetadata(globals.sysrootOptions, progress: globals.progress)
        }
    }
}

/// Runs an install/uninstall request and handles the common flags.
func runPackageChange(_ base: PackageChangeRequest, _ options: PackageOptions, _ globals: GlobalOptions, applyLive: Bool = false) throws {
    var request = base
    request.dryRun = options.dryRun
    request.idempotent = options.idempotent
    request.cacheOnly = options.cacheOnly
    request.downloadOnly = options.downloadOnly
    let changed = try globals.engine().changePackages(globals.sysrootOptions, request, progress: globals.progress)
    guard changed else {
        if options.unchangedExit77 { throw ExitCode(ExitStatus.unchanged) }
        return
    }
    if applyLive {
        // The new pending deployment, made live too.
        _ = try globals.engine().applyLive(globals.sysrootOptions, ApplyLiveRequest(), progress: globals.progress)
        return
    }
    printNextStep(globals)
    try rebootIfAsked(options.reboot, globals)
}
