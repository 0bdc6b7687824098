import ArgumentParser
import AptOstreeCore
import AptOstreeModel
#if canImport(Glibc)
import Glibc
#endif

/// The options every command takes.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Use system root PATH.", valueName: "PATH"))
    public var sysroot: String = "/"

    @Option(name: [.customLong("os"), .customLong("stateroot")],
            help: ArgumentHelp("Operate on the stateroot NAME.", valueName: "NAME"))
    public var osname: String?

    @Flag(name: .shortAndLong, help: "Print more detail.")
    public var verbose = false

    @Flag(name: .shortAndLong, help: "Print only errors and requested output.")
    public var quiet = false

    @Flag(name: .long, help: "Print the version and exit.")
    public var version = false

    public init() {}

    /// The sysroot options for the engine.
    var sysrootOptions: SysrootOptions { SysrootOptions(path: sysroot, osname: osname) }

    /// Opens the sysroot.
    func open() throws -> SysrootContext { try SysrootContext(sysrootOptions) }

    /// Where progress goes: stdout, unless --quiet.
    var progress: ProgressSink { quiet ? SilentProgress() : TerminalProgress() }

    /// Handles `--version` on a subcommand; returns true when it did.
    func handledVersion() -> Bool {
        if version { print("apt-ostree \(AptOstreeVersion.string)") }
        return version
    }
}

/// Progress as plain lines on stdout.
struct TerminalProgress: ProgressSink {
    func message(_ text: String) {
        print(text)
        fflush(nil)
    }
}

/// `-r/--reboot`: reboots the running system, but only when it is the sysroot changed.
func rebootIfAsked(_ reboot: Bool, _ globals: GlobalOptions) throws {
    guard reboot else { return }
    guard globals.sysroot == "/" else {
        globals.progress.message("Not rebooting: --sysroot=\(globals.sysroot) is not the running system")
        return
    }
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("systemctl"), strdup("reboot"), nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawnp(&pid, "systemctl", nil, nil, argv, environ) == 0 else {
        throw AptOstreeError(.failed, "systemctl reboot: could not start")
    }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
}

/// Prints what a new default deployment means for the user.
func printNextStep(_ globals: GlobalOptions) {
    if globals.sysroot == "/" {
        globals.progress.message("Run \"systemctl reboot\" to start a reboot")
    }
}
