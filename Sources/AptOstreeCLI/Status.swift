import ArgumentParser
import AptOstreeModel

extension AptOstree {
    /// `status`: the deployments, as text or JSON.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Get the version of the booted system")

        @OptionGroup var globals: GlobalOptions

        @Flag(name: .long, help: "Output JSON.")
        var json = false

        @Option(name: [.customShort("J"), .long], help: ArgumentHelp("Filter JSONPath expression.", valueName: "EXPRESSION"))
        var jsonpath: String?

        @Flag(name: .shortAndLong, help: "Only print the booted deployment.")
        var booted = false

        @Flag(name: .customLong("pending-exit-77"), help: "If pending deployment available, exit 77.")
        var pendingExit77 = false

        func validate() throws {
            if json && jsonpath != nil { throw ValidationError("Cannot specify both --json and --jsonpath") }
        }

        func run() throws {
            if globals.handledVersion() { return }
            let path = try jsonpath.map { try JSONPath($0) }
            let status = try globals.engine().status(globals.sysrootOptions)
            if json {
                print(status.json(onlyBooted: booted).serialized())
            } else if let path {
                print(path.evaluate(status.json(onlyBooted: booted)).serialized())
            } else {
                print(StatusRenderer.render(status, verbose: globals.verbose, onlyBooted: booted,
                                            glyphs: .forTerminal()), terminator: "")
            }
            if pendingExit77, status.deployments.count > 1, !status.deployments[0].booted {
                throw ExitCode(ExitStatus.unchanged)
            }
        }
    }
}
