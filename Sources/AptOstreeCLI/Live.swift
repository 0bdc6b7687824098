import ArgumentParser
import AptOstreeModel

extension AptOstree {
    /// `apply-live [--target=REV] [--reset] [--allow-replacement]`.
    struct ApplyLive: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply-live",
            abstract: "Apply pending deployment changes to booted deployment",
            discussion: "The files that differ between the running tree and the pending deployment (or --target) are copied into a transient overlay on /usr; new default /etc files are added. Packages already installed are not replaced unless --allow-replacement. Everything live goes at the next reboot, which boots the pending deployment itself.")

        @OptionGroup var globals: GlobalOptions

        @Option(help: ArgumentHelp("Target provided commit instead of pending deployment", valueName: "REV"))
        var target: String?

        @Flag(help: "Reset back to booted commit")
        var reset = false

        @Flag(name: .customLong("allow-replacement"), help: "Allow replacement of packages/files (default is pure additive)")
        var allowReplacement = false

        func validate() throws {
            if reset && target != nil { throw ValidationError("Cannot specify both --reset and --target") }
        }

        func run() throws {
            if globals.handledVersion() { return }
            _ = try globals.engine().applyLive(globals.sysrootOptions, ApplyLiveRequest(target: target, reset: reset, allowReplacement: allowReplacement),
                                               progress: globals.progress)
        }
    }

    /// `usroverlay` (alias `unlock`): libostree's /usr overlay on the booted deployment.
    struct Usroverlay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a transient overlayfs to /usr",
            discussion: "By default the overlay is writable and goes at the next reboot. --hotfix keeps it across reboots (and first makes an unchanged copy of the deployment the rollback target); --transient mounts it read-only (apply-live writes to it from a private mount namespace).",
            aliases: ["unlock"])

        @OptionGroup var globals: GlobalOptions

        @Flag(help: "Retain changes across reboots")
        var hotfix = false

        @Flag(help: "Mount overlayfs read-only by default")
        var transient = false

        func validate() throws {
            if hotfix && transient { throw ValidationError("Cannot specify both --hotfix and --transient") }
        }

        func run() throws {
            if globals.handledVersion() { return }
            try globals.engine().usroverlay(globals.sysrootOptions, state: hotfix ? "hotfix" : transient ? "transient" : "development",
                                            progress: globals.progress)
        }
    }
}
