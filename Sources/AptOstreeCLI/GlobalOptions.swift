import ArgumentParser
import AptOstreeModel
import AptOstreePOSIX
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
    /// The sysroot made absolute: apt, libostree and the daemon must not depend on the cwd.
    var sysrootOptions: SysrootOptions { SysrootOptions(path: FS.absolute(sysroot), osname: osname) }

    /// Where progress goes: stdout, unless --quiet.
    var progress: ProgressSink { quiet ? SilentProgress() : TerminalProgress() }

    /// The engine for this command: the in-process one when this process has it, else the
    /// daemon serving the sysroot, else this process becomes the in-process engine by
    /// executing apt-ostreed in direct mode with the same arguments (never returns then).
    func engine() throws -> Engine {
        if let e = InProcess.engine { return e }
        let trace: (String) -> Void = { if verbose { writeStandardError("apt-ostreed: \($0)\n") } }
        if let d = DaemonEngine.connect(sysrootOptions, trace: trace) { return d }
        trace("no daemon serves \(sysroot); running the engine in-process")
        try execDirect()
    }

    /// Handles `--version` on a subcommand; returns true when it did.
    func handledVersion() -> Bool {
        if version { print("apt-ostree \(aptOstreeVersion)") }
        return version
    }
}

/// Progress on stdout: plain lines, and on a terminal a bar for percentages.
struct TerminalProgress: ProgressSink {
    /// Whether stdout is a terminal (a bar redraws in place there).
    let isTerminal = isatty(1) != 0
    /// Whether a bar is drawn on the current line (the next message starts a new one).
    nonisolated(unsafe) static var barOpen = false

    func message(_ text: String) {
        if Self.barOpen {
            print("")
            Self.barOpen = false
        }
        print(text)
        fflush(nil)
    }

    /// A percentage: a redrawn bar on a terminal, a plain line otherwise.
    func percent(_ text: String, _ value: Int) {
        if isTerminal {
            print("\r\u{1B}[K" + ProgressBar.render(text, percent: value, width: 30), terminator: value >= 100 ? "\n" : "")
            Self.barOpen = value < 100
        } else {
            print("\(text) \(value)%")
        }
        fflush(nil)
    }
}

/// The progress bar's text: `TEXT [#########           ] 45%`.
public enum ProgressBar {
    /// Renders `percent` (clamped to 0...100) as a bar `width` cells wide.
    public static func render(_ text: String, percent: Int, width: Int) -> String {
        let p = max(0, min(100, percent))
        let filled = p * width / 100
        return "\(text) [" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] \(p)%"
    }
}

/// `-r/--reboot`: reboots the running system, but only when it is the sysroot changed.
func rebootIfAsked(_ reboot: Bool, _ globals: GlobalOptions) throws {
    guard reboot else { return }
    guard globals.sysroot == "/" else {
        globals.progress.message("Not rebooting: --sysroot=\(globals.sysroot) is not the running system")
        return
    }
    let status = try Subprocess.runInteractive(["systemctl", "reboot"])
    guard status == 0 else { throw AptOstreeError(.failed, "systemctl reboot exited with status \(status)") }
}

/// Prints what a new default deployment means for the user.
func printNextStep(_ globals: GlobalOptions) {
    if globals.sysroot == "/" {
        globals.progress.message("Run \"systemctl reboot\" to start a reboot")
    }
}

/// Replaces this process with `apt-ostreed --direct ARGS...`, the same command run by the
/// in-process engine. The daemon binary is found beside this one, or in /usr/libexec.
func execDirect() throws -> Never {
    var candidates: [String] = []
    if let env = getenv("APT_OSTREED"), env.pointee != 0 { candidates.append(String(cString: env)) }
    if let exe = realpath("/proc/self/exe", nil) {
        let dir = String(String(cString: exe).split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/"))
        free(exe)
        candidates += [dir + "/apt-ostreed", dir + "/../libexec/apt-ostreed"]
    }
    candidates += ["/usr/libexec/apt-ostreed", "/usr/lib/apt-ostree/apt-ostreed"]
    guard let path = candidates.first(where: { access($0, X_OK) == 0 }) else {
        throw AptOstreeError(.failed, "No apt-ostreed daemon is reachable and no apt-ostreed binary was found to run the engine")
    }
    let args: [String] = ["apt-ostreed", "--direct"] + CommandLine.arguments.dropFirst()
    let cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
    execv(path, cargs)
    throw AptOstreeError(.failed, "Running \(path): \(String(cString: strerror(errno)))")
}
