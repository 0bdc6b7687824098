import ArgumentParser
import AptOstreeCore
#if canImport(Glibc)
import Glibc
#endif

/// `apt-ostreed`: the system D-Bus service. Its bus interface is not built yet (see the
/// daemon issue); until then the CLI runs the engine in-process as root.
struct AptOstreed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apt-ostreed",
        abstract: "The apt-ostree system daemon (org.debian.aptostree1 on the system D-Bus).",
        version: AptOstreeVersion.string)

    @Option(name: .long, help: ArgumentHelp("Serve the sysroot at PATH.", valueName: "PATH"))
    var sysroot: String = "/"

    func run() throws {
        writeStandardError("apt-ostreed: the D-Bus service is not available in this version; use apt-ostree as root\n")
        throw ExitCode(1)
    }
}

AptOstreed.main()
