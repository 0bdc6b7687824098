import AptOstreeDBus
import AptOstreeModel
import AptOstreeTestSupport
import Foundation
import Testing

/// apt-ostreed on a private bus with a real polkitd; clients reach it by DBUS_SYSTEM_BUS_ADDRESS.
@Suite struct DaemonTests {
    @Test func statusThroughTheDaemonMatchesTheInProcessEngine() throws {
        let d = try TestDaemon(versions: ["1.0", "1.1", "1.2"])
        let viaDaemon = try d.cli(["status", "--json", "-v"])
        #expect(viaDaemon.status == 0, "\(viaDaemon.stderr)")
        #expect(!viaDaemon.stderr.contains("in-process"), "the client did not use the daemon: \(viaDaemon.stderr)")
        let direct = try run([aptOstreedBinary, "--direct", "status", "--json", "--sysroot=\(d.sysroot.path)"])
        #expect(try JSONParser.parse(viaDaemon.stdout) == JSONParser.parse(direct.stdout))
        let human = try d.cli(["status"])
        #expect(human.stdout.hasPrefix("State: idle\n"))
        // A change made behind the daemon's back (plain ostree) shows without a Reload.
        #expect(try d.sysroot.ostree(["admin", "undeploy", "2"]).status == 0)
        let after = try JSONParser.parse(try d.cli(["status", "--json"]).stdout)
        #expect(after["deployments"]?.arrayValue?.count == 2)
    }

    @Test func rootChangesKernelArgumentsInATransaction() throws {
        let d = try TestDaemon()
        let r = try d.cli(["kargs", "--append=viadaemon"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Kernel arguments updated."))
        #expect(try d.sysroot.bootEntries().first?["options"]?.hasSuffix(" viadaemon") == true)
        let log = try d.log()
        #expect(log.contains("txn 1 kargs: created for uid 0"))
        #expect(log.contains("txn 1 kargs: succeeded"))
        // Read-only kargs and --print-only are answered without a transaction.
        #expect(try d.cli(["kargs"]).stdout.contains("viadaemon"))
        #expect(try d.cli(["kargs", "--append=x", "--print-only"]).stdout.hasSuffix(" viadaemon x\n"))
        #expect(try d.cli(["rollback"]).status == 0)
        #expect(try d.sysroot.bootEntries().first?["options"]?.contains("viadaemon") == false)
        #expect(try d.log().contains("txn 2 rollback: succeeded"))
    }

    @Test func unprivilegedCallerReadsStatusButPolkitDeniesChanges() throws {
        let d = try TestDaemon()
        let fp = try d.sysroot.fingerprint()
        let status = try d.cli(["status", "--json"], uid: 65534)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(try JSONParser.parse(status.stdout)["deployments"]?.arrayValue?.count == 2)
        let kargs = try d.cli(["kargs", "--append=nobody"], uid: 65534)
        #expect(kargs.status == 1)
        #expect(kargs.stderrLines == ["error: Not authorized to ModifyKernelArgs (org.debian.aptostree1.bootconfig) as uid 65534"])
        let rollback = try d.cli(["rollback"], uid: 65534)
        #expect(rollback.stderrLines == ["error: Not authorized to Rollback (org.debian.aptostree1.rollback) as uid 65534"])
        #expect(try d.sysroot.fingerprint() == fp)
        #expect(try d.log().contains("denied ModifyKernelArgs"))
    }

    @Test func oneTransactionAtATimeAndReadsWhileItRuns() throws {
        let d = try TestDaemon()
        let lock = try SysrootLockHolder(d.sysroot)
        let first = try d.cliInBackground(["kargs", "--append=first"])
        #expect(try d.waitForLog("txn 1 kargs: started"))
        #expect(try d.waitForLog("Waiting for sysroot lock"))
        // The same request from another client re-attaches to the running transaction.
        let again = try d.cliInBackground(["kargs", "--append=first"])
        let second = try d.cli(["kargs", "--append=second"])
        #expect(second.status == 1)
        #expect(second.stderr.hasPrefix("error: Transaction in progress: kargs (/org/debian/aptostree1/Transaction/1)"))
        // Reads are answered meanwhile, and show the running transaction.
        let status = try d.cli(["status"])
        #expect(status.stdout.hasPrefix("State: busy\nTransaction: kargs\n"))
        lock.release()
        let result = first.finish()
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let reattached = again.finish()
        #expect(reattached.status == 0, "\(reattached.stderr)")
        #expect(!(try d.log().contains("txn 2")))
        let options = try d.sysroot.bootEntries().first?["options"] ?? ""
        #expect(options.hasSuffix(" first"))
        #expect(!options.hasSuffix(" first first"))
        #expect(!options.contains("second"))
    }

    @Test func cancelBeforeTheDeploymentIsWrittenLeavesTheSysrootUnchanged() throws {
        let d = try TestDaemon()
        let fp = try d.sysroot.fingerprint()
        let (lock, client) = try d.transactionWaitingForLock(["kargs", "--append=cancelled"])
        let path = try d.gdbus(["call", "--dest", BusNames.service, "--object-path", BusNames.sysrootPath, "--method",
                                "org.freedesktop.DBus.Properties.Get", BusNames.sysrootInterface, "ActiveTransactionPath"]).stdout
        #expect(path.contains("/org/debian/aptostree1/Transaction/1"))
        let cancel = try d.gdbus(["call", "--dest", BusNames.service, "--object-path", "/org/debian/aptostree1/Transaction/1",
                                  "--method", "org.debian.aptostree1.Transaction.Cancel"])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(try d.waitForLog("txn 1 kargs: cancel requested"))
        lock.release()
        let result = client.finish()
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: Cancelled"))
        #expect(try d.sysroot.fingerprint() == fp)
        // The next transaction runs.
        #expect(try d.cli(["kargs", "--append=after"]).status == 0)
    }

    @Test func introspectionShowsTheShippedInterfaces() throws {
        let d = try TestDaemon()
        let sysroot = try d.gdbus(["introspect", "--dest", BusNames.service, "--object-path", BusNames.sysrootPath]).stdout
        #expect(sysroot.contains("interface org.debian.aptostree1.Sysroot"))
        #expect(sysroot.contains("GetStatus("))
        let os = try d.gdbus(["introspect", "--dest", BusNames.service, "--object-path", BusNames.osPath("debian")]).stdout
        for m in ["Rollback(", "DeployCommit(", "ModifyKernelArgs(", "Cleanup(", "PreviewKernelArgs("] {
            #expect(os.contains(m), "missing \(m)")
        }
        let busctl = try run(["busctl", "--address=\(d.address)", "introspect", BusNames.service, BusNames.sysrootPath])
        #expect(busctl.stdout.contains(".ActiveTransactionPath"))
        let shipped = try String(contentsOf: packageRoot.appendingPathComponent("data/org.debian.aptostree1.xml"), encoding: .utf8)
        #expect(shipped.trimmingCharacters(in: .whitespacesAndNewlines)
                == Introspection.xml.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func idleDaemonExitsAndTheBusStartsItAgain() throws {
        let d = try TestDaemon(idleExitTimeout: 1, activatable: true)
        #expect(try !d.nameOwned())
        let ping = try d.gdbus(["call", "--dest", BusNames.service, "--object-path", BusNames.sysrootPath,
                                "--method", "org.debian.aptostree1.Sysroot.Ping"])
        let daemonLog = try d.log()
        #expect(ping.status == 0, "\(ping.stderr) \(daemonLog)")
        #expect(try d.nameOwned())
        #expect(try d.waitForLog("idle for 1s, exiting", seconds: 5))
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try !d.nameOwned())
        #expect(try d.gdbus(["call", "--dest", BusNames.service, "--object-path", BusNames.sysrootPath,
                             "--method", "org.debian.aptostree1.Sysroot.Ping"]).status == 0)
    }

    @Test func secondDaemonForTheSameNameFails() throws {
        let d = try TestDaemon()
        let r = try run([aptOstreedBinary, "--sysroot=\(d.sysroot.path)", "--config=\(d.configPath)"],
                        environment: ["DBUS_SYSTEM_BUS_ADDRESS": d.address])
        #expect(r.status == 1)
        #expect(r.stderr.contains("could not own (or lost) the bus name org.debian.aptostree1"))
    }

    @Test func malformedConfigIsRefusedByName() throws {
        let conf = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).conf").path
        try "[Daemon]\nIdleExitTimeout=soon\n".write(toFile: conf, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: conf) }
        let s = try TestSysroot(versions: ["1.0"])
        let r = try run([aptOstreedBinary, "--sysroot=\(s.path)", "--config=\(conf)"])
        #expect(r.status == 1)
        #expect(r.stderrLines == ["apt-ostreed: error: \(conf): IdleExitTimeout must be a number of seconds, not 'soon'"])
    }
}

/// Transactions that end early: cancelled, abandoned, interrupted by SIGTERM or kill -9.
@Suite struct TransactionLifetimeTests {
    @Test func cancelCommandStopsTheRunningTransaction() throws {
        let d = try TestDaemon()
        let fp = try d.sysroot.fingerprint()
        #expect(try d.cli(["cancel"]).stdout == "No active transaction.\n")
        let (lock, client) = try d.transactionWaitingForLock(["kargs", "--append=x"])
        #expect(try d.cli(["cancel"]).stdout == "Cancelled transaction: kargs\n")
        #expect(try d.waitForLog("txn 1 kargs: cancel requested"))
        lock.release()
        let r = client.finish()
        #expect(r.status == 1)
        #expect(r.stderrLines.last == "error: Cancelled")
        #expect(try d.sysroot.fingerprint() == fp)
    }

    @Test func transactionWhoseClientLeavesBeforeStartIsCancelled() throws {
        let d = try TestDaemon()
        let fp = try d.sysroot.fingerprint()
        // gdbus creates the transaction and disconnects without calling Start.
        let call = try d.gdbus(["call", "--dest", BusNames.service, "--object-path", BusNames.osPath("debian"),
                                "--method", "org.debian.aptostree1.OS.ModifyKernelArgs", "{'append': <['abandoned']>}", "{}"])
        #expect(call.stdout.contains("/org/debian/aptostree1/Transaction/1"), "\(call.stderr)")
        #expect(try d.waitForLog("txn 1 kargs: failed: Cancelled"))
        // A late Start on the finished transaction does not run it again.
        let start = try d.gdbus(["call", "--dest", BusNames.service, "--object-path", "/org/debian/aptostree1/Transaction/1",
                                 "--method", "org.debian.aptostree1.Transaction.Start"])
        #expect(start.stdout.contains("false"))
        #expect(try d.sysroot.fingerprint() == fp)
        #expect(try d.cli(["kargs", "--append=next"]).status == 0)
    }

    @Test func sigtermCancelsTheRunningTransactionAndExits() throws {
        let d = try TestDaemon()
        let fp = try d.sysroot.fingerprint()
        let (lock, client) = try d.transactionWaitingForLock(["kargs", "--append=x"])
        d.signalDaemon(SIGTERM)
        #expect(try d.waitForLog("stopping: cancelling txn 1"))
        lock.release()
        let r = client.finish()
        #expect(r.status == 1)
        #expect(r.stderrLines.last == "error: Cancelled")
        d.stopDaemon()
        #expect(d.daemonExitStatus == 0)
        #expect(try d.sysroot.fingerprint() == fp)
    }

    @Test func killedDaemonLeavesAConsistentSysrootAndTheNextTransactionRuns() throws {
        let d = try TestDaemon()
        let fp = try d.sysroot.fingerprint()
        let (lock, client) = try d.transactionWaitingForLock(["kargs", "--append=x"])
        d.stopDaemon(signal: SIGKILL)
        let r = client.finish()
        #expect(r.status == 1)
        #expect(r.stderr.contains("apt-ostreed exited during the transaction"))
        lock.release()
        #expect(try d.sysroot.fingerprint() == fp)
        #expect(try d.sysroot.ostree(["fsck"]).status == 0)
        try d.startDaemon()
        #expect(try d.cli(["kargs", "--append=after-restart"]).status == 0)
        #expect(try d.sysroot.bootEntries().first?["options"]?.hasSuffix(" after-restart") == true)
    }
}

@Suite struct ClientInterruptTests {
    @Test func ctrlCInTheClientCancelsTheTransaction() throws {
        let d = try TestDaemon()
        let fp = try d.sysroot.fingerprint()
        let (lock, client) = try d.transactionWaitingForLock(["kargs", "--append=interrupted"])
        client.signal(SIGINT)
        #expect(try d.waitForLog("txn 1 kargs: cancel requested"))
        lock.release()
        let r = client.finish()
        #expect(r.status == 1)
        #expect(r.stderrLines.last == "error: Cancelled")
        #expect(try d.log().contains("txn 1 kargs: failed: Cancelled"))
        #expect(try d.sysroot.fingerprint() == fp)
    }
}
