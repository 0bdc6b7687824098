import ArgumentParser
import AptOstreeModel
#if canImport(Glibc)
import Glibc
#endif

extension AptOstree {
    /// `kargs`: show or change the kernel arguments.
    struct Kargs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Query or modify kernel arguments",
            discussion: "With no change options, prints the kernel arguments of the default deployment. A change writes a new deployment of the same commit; the old one stays for rollback.")

        @OptionGroup var globals: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("Append kernel argument; a key may repeat.", valueName: "KEY=VALUE"))
        var append: [String] = []

        @Option(name: .customLong("append-if-missing"), help: ArgumentHelp("Like --append, but does nothing if the argument is already present.", valueName: "KEY=VALUE"))
        var appendIfMissing: [String] = []

        @Option(name: .long, help: ArgumentHelp("Delete a KEY=VALUE pair, or a KEY with a single value.", valueName: "KEY=VALUE"))
        var delete: [String] = []

        @Option(name: .customLong("delete-if-present"), help: ArgumentHelp("Like --delete, but does nothing if the argument is missing.", valueName: "KEY=VALUE"))
        var deleteIfPresent: [String] = []

        @Option(name: .long, help: ArgumentHelp("Replace KEY=OLD with KEY=NEW, or set a single-valued KEY=VALUE.", valueName: "KEY=OLD=NEW"))
        var replace: [String] = []

        @Option(name: .customLong("deploy-index"), help: ArgumentHelp("Start from the deployment at INDEX (0 is the first in status).", valueName: "INDEX"))
        var deployIndex: String?

        @Flag(name: .customLong("import-proc-cmdline"), help: "Start from the running kernel's /proc/cmdline instead of the deployment's arguments.")
        var importProcCmdline = false

        @Flag(name: .long, help: "Edit the kernel arguments in $VISUAL or $EDITOR.")
        var editor = false

        @Flag(name: .customLong("print-only"), help: "Print the resulting kernel arguments; change nothing.")
        var printOnly = false

        @Flag(name: .customLong("unchanged-exit-77"), help: "If no kernel arguments changed, exit 77.")
        var unchangedExit77 = false

        @Flag(name: .shortAndLong, help: "Initiate a reboot after operation is complete.")
        var reboot = false

        func validate() throws {
            let edits = !(append.isEmpty && appendIfMissing.isEmpty && delete.isEmpty && deleteIfPresent.isEmpty && replace.isEmpty)
            if editor && edits {
                throw ValidationError("Cannot specify --editor with --replace, --delete, --append, --delete-if-present or --append-if-missing")
            }
            if !delete.isEmpty && !replace.isEmpty { throw ValidationError("Cannot specify both --delete and --replace") }
            if importProcCmdline && deployIndex != nil {
                throw ValidationError("Cannot specify both --import-proc-cmdline and --deploy-index")
            }
            if importProcCmdline && globals.osname != nil {
                throw ValidationError("Cannot specify both --os and --import-proc-cmdline")
            }
            if let d = deployIndex, Int(d) == nil { throw ValidationError("Invalid deployment index '\(d)'") }
            if reboot && !edits && !editor { throw ValidationError("Cannot reboot when kernel arguments not changed") }
        }

        var request: KargsRequest {
            var r = KargsRequest()
            r.append = append
            r.appendIfMissing = appendIfMissing
            r.delete = delete
            r.deleteIfPresent = deleteIfPresent
            r.replace = replace
            r.deployIndex = deployIndex.flatMap { Int($0) }
            r.importProcCmdline = importProcCmdline
            r.printOnly = printOnly
            return r
        }

        func run() throws {
            if globals.handledVersion() { return }
            let engine = try globals.engine()
            let options = globals.sysrootOptions
            var req = request
            if editor {
                let current = try engine.previewKargs(options, req).current
                req.finalArgs = try KargsEditor.edit(current)
                if words(req.finalArgs!) == words(current).filter({ !$0.hasPrefix("ostree=") }) {
                    if unchangedExit77 { print("No changes."); throw ExitCode(ExitStatus.unchanged) }
                    throw AptOstreeError(.invalidArgument, "The kernel arguments remained the same")
                }
            }
            if !req.isModification {
                print(try engine.previewKargs(options, req).current)
                return
            }
            if printOnly {
                print(try engine.previewKargs(options, req).result)
                return
            }
            let deployed = try engine.kargs(options, req, progress: globals.progress)
            if !deployed {
                if unchangedExit77 { throw ExitCode(ExitStatus.unchanged) }
                return
            }
            printNextStep(globals)
            try rebootIfAsked(reboot, globals)
        }
    }
}

/// The words of a command line (spaces and line breaks separate them).
func words(_ s: String) -> [String] {
    s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
}
