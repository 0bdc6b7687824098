import ArgumentParser
import AptOstreeModel

/// The options every `override` subcommand shares with rpm-ostree's.
struct OverrideOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Initiate a reboot after operation is complete")
    var reboot = false

    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Exit after printing the transaction")
    var dryRun = false

    @Flag(name: [.customShort("C"), .customLong("cache-only")], help: "Only operate on cached data")
    var cacheOnly = false
}

extension AptOstree {
    /// `override remove|replace|reset`: changes to the base's own packages, kept in the
    /// origin (`[overrides]`) and applied again onto every new base.
    struct Override: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage base package overrides",
            subcommands: [Remove.self, Replace.self, Reset.self])

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Remove packages from the base layer",
                discussion: "apt checks that nothing else in the deployment needs them; dpkg purges them in the sandbox.")

            @OptionGroup var globals: GlobalOptions
            @OptionGroup var options: OverrideOptions

            @Option(name: .customLong("replace"), help: ArgumentHelp("Replace a package (a .deb file or NAME=VERSION)", valueName: "PKG"))
            var replace: [String] = []

            @Argument(help: ArgumentHelp("Base packages to remove.", valueName: "PACKAGE"))
            var packages: [String] = []

            func validate() throws {
                if packages.isEmpty && !globals.version { throw ValidationError("At least one PACKAGE must be specified") }
            }

            func run() throws {
                if globals.handledVersion() { return }
                var request = PackageChangeRequest()
                request.overrideRemove = packages
                request.overrideReplace = replace
                try runOverride(request, options, globals)
            }
        }

        struct Replace: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Replace packages in the base layer",
                discussion: "PACKAGE is a local .deb file, or NAME=VERSION: that version is downloaded from the apt sources now and kept in the repo, like a local file.")

            @OptionGroup var globals: GlobalOptions
            @OptionGroup var options: OverrideOptions

            @Option(name: .customLong("remove"), help: ArgumentHelp("Remove a package", valueName: "PKG"))
            var remove: [String] = []

            @Argument(help: ArgumentHelp("Replacement packages.", valueName: "PACKAGE"))
            var packages: [String] = []

            func validate() throws {
                if packages.isEmpty && !globals.version { throw ValidationError("At least one PACKAGE must be specified") }
            }

            func run() throws {
                if globals.handledVersion() { return }
                var request = PackageChangeRequest()
                request.overrideReplace = packages
                request.overrideRemove = remove
                try runOverride(request, options, globals)
            }
        }

        struct Reset: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Reset currently active package overrides")

            @OptionGroup var globals: GlobalOptions
            @OptionGroup var options: OverrideOptions

            @Flag(name: .shortAndLong, help: "Reset all active overrides")
            var all = false

            @Argument(help: ArgumentHelp("Packages whose overrides go.", valueName: "PACKAGE"))
            var packages: [String] = []

            func validate() throws {
                if packages.isEmpty && !all && !globals.version { throw ValidationError("At least one PACKAGE must be specified") }
                if !packages.isEmpty && all { throw ValidationError("Cannot specify packages with --all") }
            }

            func run() throws {
                if globals.handledVersion() { return }
                var request = PackageChangeRequest()
                request.overrideReset = packages
                request.overrideResetAll = all
                try runOverride(request, options, globals)
            }
        }
    }
}

/// Runs an override request and handles the common flags.
func runOverride(_ base: PackageChangeRequest, _ options: OverrideOptions, _ globals: GlobalOptions) throws {
    var request = base
    request.dryRun = options.dryRun
    request.cacheOnly = options.cacheOnly
    let changed = try globals.engine().changePackages(globals.sysrootOptions, request, progress: globals.progress)
    guard changed else { return }
    printNextStep(globals)
    try rebootIfAsked(options.reboot, globals)
}
