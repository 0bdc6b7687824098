import ArgumentParser
import AptOstreeModel

extension AptOstree {
    /// `reload`: the daemon re-reads its configuration and the sysroot.
    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reload configuration")

        @OptionGroup var globals: GlobalOptions

        func run() throws {
            if globals.handledVersion() { return }
            try globals.engine().reload(globals.sysrootOptions)
        }
    }

    /// `cancel`: stop the running transaction at its next safe point.
    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an active transaction")

        @OptionGroup var globals: GlobalOptions

        @Flag(name: .long, help: "Cancel every active transaction (there is at most one).")
        var all = false

        func run() throws {
            if globals.handledVersion() { return }
            if let title = try globals.engine().cancelActive(globals.sysrootOptions) {
                print("Cancelled transaction: \(title)")
            } else {
                print("No active transaction.")
            }
        }
    }
}
