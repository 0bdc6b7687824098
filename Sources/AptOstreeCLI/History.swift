import ArgumentParser
import AptOstreeModel

extension AptOstree {
    /// `history`.
    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the deployments apt-ostree made, newest first",
            discussion: "Kept in /var/lib/apt-ostree/history.jsonl of the stateroot: when, what command (or daemon transaction and caller), which deployment, commit and version.")
        @OptionGroup var globals: GlobalOptions

        @Flag(help: "Output JSON")
        var json = false

        @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Show at most N entries", valueName: "N"))
        var limit: Int?

        func run() throws {
            if globals.handledVersion() { return }
            var entries = try globals.engine().history(globals.sysrootOptions)
            if let limit { entries = Array(entries.prefix(max(0, limit))) }
            if json {
                print(JSONValue.array(entries).serialized())
                return
            }
            if entries.isEmpty { print("No history."); return }
            for (i, e) in entries.enumerated() {
                if i > 0 { print("") }
                let ts = e["timestamp"]?.intValue.map { StatusRenderer.formatTimestamp(UInt64(max(0, $0))) } ?? "?"
                print("\(ts)  \(e["command"]?.stringValue ?? "")")
                print("  Deployment: \(e["deployment"]?.stringValue ?? "")" + (e["version"]?.stringValue.map { "  Version: \($0)" } ?? ""))
            }
        }
    }
}
