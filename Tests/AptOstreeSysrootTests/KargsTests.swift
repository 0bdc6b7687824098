import AptOstreeModel
import AptOstreeTestSupport
import Foundation
import Testing

/// `kargs` on real sysroots: every flag, checked in the boot entries libostree writes.
@Suite struct KargsTests {
    let baseArgs = ["root=LABEL=r", "rw", "console=ttyS0", "console=tty0", "loglevel=3"]

    func sysroot() throws -> TestSysroot { try TestSysroot(versions: ["1.0", "1.1"], kargs: baseArgs) }

    /// The default boot entry's arguments, without libostree's own `ostree=`.
    func defaultOptions(_ s: TestSysroot) throws -> [String] {
        let options = try #require(try s.bootEntries().first?["options"])
        return options.split(separator: " ").map(String.init).filter { !$0.hasPrefix("ostree=") }
    }

    @Test func plainKargsPrintsTheDefaultDeploymentsArguments() throws {
        let s = try sysroot()
        let r = try s.cli(["kargs"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix(baseArgs.joined(separator: " ") + " ostree=/ostree/boot."))
    }

    @Test func appendWritesANewDeploymentOfTheSameCommitAndKeepsTheOld() throws {
        let s = try sysroot()
        let before = try statusJSON(s)
        let r = try s.cli(["kargs", "--append=quiet", "--append=console=ttyS1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try defaultOptions(s) == baseArgs + ["quiet", "console=ttyS1"])
        let after = try statusJSON(s)
        #expect(after.count == 2)
        #expect(after[0]["checksum"] == before[0]["checksum"])
        #expect(after[0]["serial"] == .int(1))
        #expect(after[0]["kernel-args"] == .strings(baseArgs + ["quiet", "console=ttyS1"]))
        // The previous deployment is the rollback target, with its old arguments.
        #expect(after[1]["id"] == before[0]["id"])
        #expect(after[1]["kernel-args"] == .strings(baseArgs))
        #expect(try s.bootEntries().count == 2)
    }

    @Test func deleteReplaceAndTheIfFlags() throws {
        let s = try sysroot()
        #expect(try s.cli(["kargs", "--delete=console=tty0", "--append-if-missing=rw", "--append-if-missing=quiet"]).status == 0)
        #expect(try defaultOptions(s) == ["root=LABEL=r", "rw", "console=ttyS0", "loglevel=3", "quiet"])
        #expect(try s.cli(["kargs", "--replace=loglevel=7", "--replace=console=ttyS0=ttyS1"]).status == 0)
        #expect(try defaultOptions(s) == ["root=LABEL=r", "rw", "console=ttyS1", "loglevel=7", "quiet"])
        #expect(try s.cli(["kargs", "--delete-if-present=quiet", "--delete-if-present=absent"]).status == 0)
        #expect(try defaultOptions(s) == ["root=LABEL=r", "rw", "console=ttyS1", "loglevel=7"])
    }

    @Test func unchangedRequestWritesNothingAndCanExit77() throws {
        let s = try sysroot()
        let fp = try s.fingerprint()
        let r = try s.cli(["kargs", "--append-if-missing=rw", "--delete-if-present=absent", "--unchanged-exit-77"])
        #expect(r.status == 77)
        #expect(r.stdout.contains("No changes."))
        #expect(try s.cli(["kargs", "--append-if-missing=rw"]).status == 0)
        #expect(try s.fingerprint() == fp)
    }

    @Test func printOnlyShowsTheResultAndChangesNothing() throws {
        let s = try sysroot()
        let fp = try s.fingerprint()
        let r = try s.cli(["kargs", "--append=quiet", "--delete=rw", "--print-only"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("root=LABEL=r console=ttyS0 console=tty0 loglevel=3 ostree="))
        #expect(r.stdout.hasSuffix(" quiet\n"))
        #expect(try s.fingerprint() == fp)
    }

    @Test func deployIndexStartsFromThatDeployment() throws {
        let s = try sysroot()
        #expect(try s.cli(["kargs", "--append=first"]).status == 0)
        // Index 1 is now the old default (without "first"); its commit and arguments are the source.
        let old = try statusJSON(s)[1]
        #expect(try s.cli(["kargs", "--deploy-index=1"]).stdout.contains("first") == false)
        #expect(try s.cli(["kargs", "--deploy-index=1", "--append=second"]).status == 0)
        let now = try statusJSON(s)
        #expect(now[0]["checksum"] == old["checksum"])
        #expect(now[0]["kernel-args"] == .strings(baseArgs + ["second"]))
        let bad = try s.cli(["kargs", "--deploy-index=7", "--append=x"])
        #expect(bad.status == 1)
        #expect(bad.stderrLines == ["error: Out of range deployment index 7, expected < 2"])
        #expect(try s.cli(["kargs", "--deploy-index=x"]).status == 64)
    }

    @Test func importProcCmdlineStartsFromTheRunningKernel() throws {
        let s = try sysroot()
        let proc = try String(contentsOfFile: "/proc/cmdline", encoding: .utf8)
            .split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty && !$0.hasPrefix("BOOT_IMAGE=") && !$0.hasPrefix("initrd=") && !$0.hasPrefix("ostree=") }
        let r = try s.cli(["kargs", "--import-proc-cmdline", "--append=imported"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try defaultOptions(s) == proc + ["imported"])
    }

    @Test func editorReplacesTheWholeLine() throws {
        let s = try sysroot()
        let r = try s.cli(["kargs", "--editor"], environment: ["EDITOR": "sed -i -e s/console=ttyS0/console=hvc0/ -e s/^rw$//", "VISUAL": ""])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try defaultOptions(s) == ["root=LABEL=r", "rw", "console=hvc0", "console=tty0", "loglevel=3"])
        let same = try s.cli(["kargs", "--editor", "--unchanged-exit-77"], environment: ["EDITOR": "true", "VISUAL": ""])
        #expect(same.status == 77)
        let failing = try s.cli(["kargs", "--editor"], environment: ["EDITOR": "false", "VISUAL": ""])
        #expect(failing.status == 1)
        #expect(failing.stderrLines == ["error: Editor 'false' exited with status 1"])
    }

    @Test(arguments: [["--append=bad arg"], ["--append==x"], ["--append=a\nb"], ["--delete=nosuch"], ["--replace=console=tty9=tty1"],
                      ["--append=ostree=/x"]])
    func malformedKargGivesOneErrorLineAndLeavesTheSysrootAsItWas(_ args: [String]) throws {
        let s = try sysroot()
        let fp = try s.fingerprint()
        let r = try s.cli(["kargs"] + args)
        #expect(r.status == 1)
        #expect(r.stderrLines.count == 1)
        #expect(r.stderr.hasPrefix("error: "))
        #expect(try s.fingerprint() == fp)
    }

    @Test func conflictingFlagsAreUsageErrors() throws {
        let s = try sysroot()
        #expect(try s.cli(["kargs", "--delete=rw", "--replace=rw=ro"]).status == 64)
        #expect(try s.cli(["kargs", "--editor", "--append=x"]).status == 64)
        #expect(try s.cli(["kargs", "--import-proc-cmdline", "--deploy-index=0"]).status == 64)
        #expect(try s.cli(["kargs", "--reboot"]).status == 64)
    }

    @Test func waitsForTheSysrootLockHeldByAnotherProcess() throws {
        let s = try sysroot()
        // libostree's sysroot lock is a fcntl (OFD) lock on ostree/lock; a POSIX lockf conflicts with it.
        let holder = try SysrootLockHolder(s)
        let client = try Child([aptOstreeBinary, "kargs", "--append=afterlock", "--sysroot=\(s.path)"])
        Thread.sleep(forTimeInterval: 0.5)
        #expect(client.isRunning)
        holder.release()
        let r = client.finish()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Waiting for sysroot lock..."))
        #expect(try defaultOptions(s).last == "afterlock")
    }
}
