import Foundation

/// The built `apt-ostreed` binary, beside `apt-ostree`.
public var aptOstreedBinary: String {
    ProcessInfo.processInfo.environment["APT_OSTREED"]
        ?? URL(fileURLWithPath: aptOstreeBinary).deletingLastPathComponent().appendingPathComponent("apt-ostreed").path
}

/// A private system-like bus with a real polkitd (scripts/private-bus.sh), a test sysroot,
/// and apt-ostreed serving it, started directly or left for bus activation.
public final class TestDaemon: @unchecked Sendable {
    public let sysroot: TestSysroot
    /// The bus folder (socket, config, logs).
    public let busDir: String
    /// DBUS_SYSTEM_BUS_ADDRESS of the private bus.
    public let address: String
    /// The daemon's configuration file.
    public let configPath: String
    /// The daemon's stderr.
    public let logPath: String
    private var daemon: Child?

    /// Starts the bus and polkitd; starts the daemon unless `activatable` (then the bus
    /// starts it on the first call that names it).
    public convenience init(versions: [String] = ["1.0", "1.1"], kargs: [String] = [], idleExitTimeout: Int = 0,
                            activatable: Bool = false) throws {
        try self.init(sysroot: try TestSysroot(versions: versions, kargs: kargs), idleExitTimeout: idleExitTimeout,
                      activatable: activatable)
    }

    /// The same over a sysroot made by the caller.
    public init(sysroot: TestSysroot, idleExitTimeout: Int = 0, activatable: Bool = false) throws {
        self.sysroot = sysroot
        busDir = sysroot.path + "-bus"
        configPath = busDir + "-apt-ostreed.conf"
        logPath = busDir + "-apt-ostreed.log"
        try "[Daemon]\nLogLevel=debug\nIdleExitTimeout=\(idleExitTimeout)\n".write(toFile: configPath, atomically: true, encoding: .utf8)
        var argv = [packageRoot.appendingPathComponent("scripts/private-bus.sh").path, "start", busDir]
        if activatable {
            // The bus runs the Exec line without a shell: log through one.
            argv += ["/bin/sh", "-c", "'exec \(aptOstreedBinary) --sysroot=\(sysroot.path) --config=\(configPath) 2>>\(logPath)'"]
        }
        let r = try run(argv)
        guard r.status == 0, let line = r.stdout.split(separator: "\n").last(where: { $0.hasPrefix("DBUS_SYSTEM_BUS_ADDRESS=") }) else {
            throw NSError(domain: "TestDaemon", code: 1, userInfo: [NSLocalizedDescriptionKey: r.stderr])
        }
        address = String(line.dropFirst("DBUS_SYSTEM_BUS_ADDRESS=".count))
        if !activatable { try startDaemon() }
    }

    /// Starts apt-ostreed and waits until it owns its name.
    public func startDaemon() throws {
        let p = try Child([aptOstreedBinary, "--sysroot=\(sysroot.path)", "--config=\(configPath)"],
                          environment: ["DBUS_SYSTEM_BUS_ADDRESS": address], logPath: logPath)
        daemon = p
        var tries = 0
        while try !nameOwned(), tries < 250, p.isRunning {
            Thread.sleep(forTimeInterval: 0.02)
            tries += 1
        }
        guard try nameOwned() else { throw NSError(domain: "TestDaemon", code: 2, userInfo: [NSLocalizedDescriptionKey: try log()]) }
    }

    /// Kills the daemon with `signal` and waits for it.
    public func stopDaemon(signal: Int32 = SIGTERM) {
        guard let p = daemon, p.isRunning else { return }
        p.signal(signal)
        p.wait()
    }

    /// Sends `signal` to the daemon without waiting.
    public func signalDaemon(_ sig: Int32) { daemon?.signal(sig) }

    /// The daemon's exit status, once it has exited.
    public var daemonExitStatus: Int32? {
        guard let p = daemon, !p.isRunning else { return nil }
        return p.wait()
    }

    /// Whether org.debian.aptostree1 has an owner.
    public func nameOwned() throws -> Bool {
        try gdbus(["call", "--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus",
                   "--method", "org.freedesktop.DBus.NameHasOwner", "org.debian.aptostree1"]).stdout.contains("true")
    }

    /// Runs `gdbus ARGS --system` on the private bus.
    public func gdbus(_ args: [String]) throws -> ProcessResult {
        try run(["gdbus"] + [args[0], "--system"] + args.dropFirst(), environment: ["DBUS_SYSTEM_BUS_ADDRESS": address])
    }

    /// Runs `apt-ostree ARGS --sysroot=...` against the daemon, optionally as another uid.
    @discardableResult
    public func cli(_ args: [String], uid: UInt32? = nil) throws -> ProcessResult {
        var argv = [aptOstreeBinary] + args + ["--sysroot=\(sysroot.path)"]
        if let uid { argv = ["setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups"] + argv }
        return try run(argv, environment: ["DBUS_SYSTEM_BUS_ADDRESS": address])
    }

    /// Starts `apt-ostree ARGS` in the background; `finish()` collects its result.
    public func cliInBackground(_ args: [String]) throws -> Child {
        try Child([aptOstreeBinary] + args + ["--sysroot=\(sysroot.path)"], environment: ["DBUS_SYSTEM_BUS_ADDRESS": address])
    }

    /// Holds the sysroot lock, starts `apt-ostree ARGS` in the background, and returns once
    /// its transaction waits for that lock: a transaction caught mid-way, for as long as the
    /// test needs (until it releases the lock).
    public func transactionWaitingForLock(_ args: [String]) throws -> (lock: SysrootLockHolder, client: Child) {
        let lock = try SysrootLockHolder(sysroot)
        let client = try cliInBackground(args)
        guard try waitForLog("Waiting for sysroot lock") else {
            throw NSError(domain: "TestDaemon", code: 3, userInfo: [NSLocalizedDescriptionKey: "no transaction waited: \(try log())"])
        }
        return (lock, client)
    }

    /// The daemon's log so far.
    public func log() throws -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Waits until the log contains `text` (up to `seconds`).
    public func waitForLog(_ text: String, seconds: Double = 10) throws -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try log().contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    deinit {
        stopDaemon(signal: SIGKILL)
        _ = try? run([packageRoot.appendingPathComponent("scripts/private-bus.sh").path, "stop", busDir])
        // An activated daemon is a child of the bus, not ours.
        _ = try? run(["pkill", "-f", "--", "--sysroot=\(sysroot.path) "])
        _ = try? run(["rm", "-rf", busDir, configPath, logPath])
    }
}

/// Holds libostree's sysroot lock (an fcntl lock on ostree/lock) from another process until
/// `release()`.
public final class SysrootLockHolder {
    let child: Child

    /// Takes the lock of `sysroot` and returns once it is held.
    public init(_ sysroot: TestSysroot) throws {
        child = try Child(["python3", "-c",
                           "import fcntl,sys; f=open(sys.argv[1],'a'); fcntl.lockf(f, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()",
                           "\(sysroot.path)/ostree/lock"], stdinPipe: true)
        _ = child.readSomeStdout()
    }

    /// Lets go of the lock.
    public func release() {
        child.closeStdin()
        _ = child.finish()
    }

    deinit { child.signal(SIGKILL); child.wait() }
}
