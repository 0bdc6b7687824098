import ArgumentParser
import AptOstreeModel
import AptOstreePOSIX
#if canImport(Glibc)
import Glibc
#endif

/// The `apt-ostree` command tree.
public struct AptOstree: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "apt-ostree",
        abstract: "Image-based, atomic Debian: the OS is an OSTree commit; add packages with APT.",
        version: aptOstreeVersion,
        subcommands: [Status.self, Deploy.self, Rollback.self, Kargs.self, Initramfs.self, InitramfsEtc.self, ApplyLive.self, Usroverlay.self, Cleanup.self, Reload.self, Cancel.self, Install.self, Uninstall.self, Override.self, RefreshMd.self, Search.self, Info.self, Db.self, Upgrade.self, Rebase.self, Reset.self, Remote.self, History.self, CountMe.self, Compose.self]
    )

    public init() {}
}

/// The version of apt-ostree.
public let aptOstreeVersion = "0.1.0"

/// Exit codes shared with rpm-ostree.
public enum ExitStatus {
    /// Nothing changed (`--unchanged-exit-77`) or a pending deployment exists (`--pending-exit-77`).
    public static let unchanged: Int32 = 77
}

/// The entry point the `apt-ostree` executable calls.
public enum AptOstreeMain {
    /// Parses `arguments`, runs the command, and exits: 0 on success, 1 with one
    /// `error: ...` line on stderr for an operational failure, 64 for bad usage.
    public static func main(_ arguments: [String]? = nil) -> Never {
        do {
            var command = try AptOstree.parseAsRoot(arguments)
            try command.run()
            exit(0)
        } catch let error as AptOstreeError {
            // One line, whatever the message holds (libostree's GPG errors span several).
            let line = error.message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: " ") }
                .filter { !$0.isEmpty }.joined(separator: "; ")
            writeStandardError("error: \(line)\n")
            exit(1)
        } catch {
            AptOstree.exit(withError: error)
        }
    }
}
