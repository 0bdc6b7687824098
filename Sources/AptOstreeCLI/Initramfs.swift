import ArgumentParser
import AptOstreeModel

extension AptOstree {
    /// `initramfs [--enable [--arg=ARG...] | --disable]`.
    struct Initramfs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable or disable local initramfs regeneration",
            discussion: "With --enable, every new deployment gets an initramfs generated on this machine (the tree's mkinitramfs, or dracut) for its kernel, reading this machine's /etc, with ARGs added; without options, shows the setting.")

        @OptionGroup var globals: GlobalOptions

        @Flag(help: "Enable regenerating initramfs locally")
        var enable = false

        @Flag(help: "Disable regenerating initramfs locally")
        var disable = false

        @Option(name: .customLong("arg"), help: ArgumentHelp("Append ARG to the generator's arguments", valueName: "ARG"))
        var args: [String] = []

        @Flag(name: .shortAndLong, help: "Initiate a reboot after operation is complete")
        var reboot = false

        @Flag(help: "With --enable: generate again even if regeneration is already enabled (after editing /etc)")
        var force = false

        func validate() throws {
            if enable && disable { throw ValidationError("Cannot simultaneously specify --enable and --disable") }
            if force && !enable { throw ValidationError("--force must be used with --enable") }
            if disable && !args.isEmpty { throw ValidationError("Cannot simultaneously specify --disable and --arg") }
            if !enable && !disable {
                if reboot { throw ValidationError("--reboot must be used with --enable or --disable") }
                if !args.isEmpty { throw ValidationError("--arg must be used with --enable") }
            }
        }

        func run() throws {
            if globals.handledVersion() { return }
            guard enable || disable else {
                let d = try globals.engine().status(globals.sysrootOptions).deployments.first
                let on = d?.request.regenerateInitramfs ?? false
                print("Initramfs regeneration: \(on ? "enabled" : "disabled")")
                if on, let args = d?.request.initramfsArgs, !args.isEmpty { print("Initramfs args: " + args.joined(separator: " ")) }
                return
            }
            // The global -v/--verbose asks the generator for its detailed output too (its -v).
            let request = InitramfsRequest(enable: enable, args: args + (globals.verbose && enable && !args.contains("-v") ? ["-v"] : []), force: force)
            let changed = try globals.engine().initramfs(globals.sysrootOptions, request, progress: globals.progress)
            print("Initramfs regeneration is now: \(enable ? "enabled" : "disabled")")
            if changed {
                printNextStep(globals)
                try rebootIfAsked(reboot, globals)
            }
        }
    }

    /// `initramfs-etc [--track=PATH...] [--untrack=PATH...] [--untrack-all] [--force-sync]`.
    struct InitramfsEtc: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "initramfs-etc",
            abstract: "Add files to the initramfs",
            discussion: "Tracked /etc files (or folders) reach the initramfs in an overlay initrd loaded after the tree's own, without regenerating it; every new deployment takes their content from /etc again. Without options, lists the tracked files.")

        @OptionGroup var globals: GlobalOptions

        @Option(name: .customLong("track"), help: ArgumentHelp("Track root /etc file", valueName: "FILE"))
        var track: [String] = []

        @Option(name: .customLong("untrack"), help: ArgumentHelp("Untrack root /etc file", valueName: "FILE"))
        var untrack: [String] = []

        @Flag(name: .customLong("untrack-all"), help: "Untrack all root /etc files")
        var untrackAll = false

        @Flag(name: .customLong("force-sync"), help: "Deploy a new tree with the latest tracked /etc files")
        var forceSync = false

        @Flag(name: .shortAndLong, help: "Initiate a reboot after operation is complete")
        var reboot = false

        func run() throws {
            if globals.handledVersion() { return }
            guard !track.isEmpty || !untrack.isEmpty || untrackAll || forceSync else {
                if reboot { throw ValidationError("--reboot must be used with a change") }
                let files = try globals.engine().status(globals.sysrootOptions).deployments.first?.request.initramfsEtc ?? []
                if files.isEmpty {
                    print("No tracked files.")
                } else {
                    print("Tracked files:")
                    for f in files { print("  \(f)") }
                }
                return
            }
            let request = InitramfsEtcRequest(track: track, untrack: untrack, untrackAll: untrackAll, forceSync: forceSync)
            if try globals.engine().initramfsEtc(globals.sysrootOptions, request, progress: globals.progress) {
                printNextStep(globals)
                try rebootIfAsked(reboot, globals)
            }
        }
    }
}
