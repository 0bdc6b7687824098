import AptOstreeCLI
import AptOstreeDaemon
import AptOstreeEngine
import AptOstreeCore
import AptOstreeModel
import AptOstreePOSIX
#if canImport(Glibc)
import Glibc
#endif

// Local files only: libostree's GFiles must not load GIO's VFS modules (gvfs), as the
// ostree CLI also arranges.
setenv("GIO_USE_VFS", "local", 1)

// `apt-ostreed --direct ARGS...` is `apt-ostree ARGS...` with the engine in this process: the
// thin client executes it when no daemon serves the sysroot.
let args = CommandLine.arguments
if args.count > 1 && args[1] == "--direct" {
    // Ctrl-C or SIGTERM stop the operation at its next checkpoint (or when the program it
    // runs dies of the same signal); the way out removes scratch folders and mounts.
    for sig in [SIGINT, SIGTERM] {
        signal(sig) { _ in Interruption.requested = 1 }
    }
    Invocation.description = (["apt-ostree"] + args.dropFirst(2)).joined(separator: " ")
    InProcess.engine = InProcessEngine()
    InProcess.composer = InProcessComposer()
    AptOstreeMain.main(Array(args.dropFirst(2)))
}

/// The daemon's own options.
func usage() -> Never {
    print("""
        Usage: apt-ostreed [--sysroot=PATH] [--config=FILE]
          The apt-ostree system daemon: serves org.debian.aptostree1 on the system D-Bus
          (DBUS_SYSTEM_BUS_ADDRESS when set). Exits after IdleExitTimeout seconds idle.

          --sysroot=PATH   Serve the sysroot at PATH (default /)
          --config=FILE    Read FILE instead of /etc/apt-ostree/apt-ostreed.conf
          --version        Print the version
        """)
    exit(0)
}

var sysroot = "/"
var config = DaemonConfig.defaultPath
for a in args.dropFirst() {
    if a == "--help" || a == "-h" { usage() }
    if a == "--version" { print("apt-ostreed \(aptOstreeVersion)"); exit(0) }
    if a.hasPrefix("--sysroot=") { sysroot = String(a.dropFirst("--sysroot=".count)); continue }
    if a.hasPrefix("--config=") { config = String(a.dropFirst("--config=".count)); continue }
    writeStandardError("apt-ostreed: unknown option \(a)\n")
    exit(64)
}
do {
    let daemon = try Daemon(sysroot: sysroot, configPath: config)
    exit(try daemon.run())
} catch let e as AptOstreeError {
    writeStandardError("apt-ostreed: error: \(e.message)\n")
    exit(1)
}
