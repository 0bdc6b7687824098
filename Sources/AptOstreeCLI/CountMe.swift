import ArgumentParser
import AptOstreeModel

extension AptOstree {
    /// `countme`: what apt-ostree-countme.service runs (rpm-ostree's hidden countme).
    struct CountMe: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "countme",
            abstract: "Send this week's anonymous Count Me report to the origin's remote, if enabled",
            discussion: """
                Off unless [CountMe] Enabled=true is set in /etc/apt-ostree/apt-ostreed.conf. At most one \
                request a week goes to the remote the booted deployment follows: REMOTE_URL/countme?countme=N, \
                where N is only how long this system has been counted (1: first week, 2: first month, \
                3: first six months, 4: longer). No identifier is sent.
                """)
        @OptionGroup var globals: GlobalOptions

        func run() throws {
            if globals.handledVersion() { return }
            print(try globals.engine().countMe(globals.sysrootOptions, progress: globals.progress))
        }
    }
}
