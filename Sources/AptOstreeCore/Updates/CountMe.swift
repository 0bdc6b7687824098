import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit
#if canImport(Glibc)
import Glibc
#endif

/// `countme`, what apt-ostree-countme.service runs weekly: when the admin opted in
/// (`[CountMe] Enabled=true`), one anonymous request per week to the remote the booted
/// origin follows, `REMOTE_URL/countme?countme=N` with the age bucket N and nothing else
/// (no machine id, no package list; the user agent names apt-ostree and its version only).
/// Publishers count the requests in their web server's log.
public struct CountMe {
    let context: SysrootContext
    let progress: ProgressSink
    let userAgent: String

    public init(context: SysrootContext, progress: ProgressSink, userAgent: String) {
        self.context = context
        self.progress = progress
        self.userAgent = userAgent
    }

    func cookiePath(osname: String) -> String {
        context.varDirectory(osname: osname) + "/lib/apt-ostree/countme.json"
    }

    /// Reports once for this week if enabled and not done yet; returns what happened, as a line.
    public func run(now: Int64 = Int64(time(nil))) throws -> String {
        let osname = try context.osname()
        guard let booted = context.bootedOrDefault else { throw AptOstreeError(.notFound, "No deployments in \(context.options.path)") }
        let etc = context.etcRoot(of: osname, fallback: booted)
        guard try DaemonConfig.load(machineRoot: etc).countMe else {
            return "Count Me is disabled; set Enabled=true under [CountMe] in \(DaemonConfig.defaultPath) to take part"
        }
        let file = cookiePath(osname: osname)
        let old = (try? FileText.read(file)).flatMap { try? JSONParser.parse($0) }.flatMap(CountMeCookie.init(json:))
        if let old, old.counted(at: now) {
            let next = CountMeCookie.windowStart(now) + CountMeCookie.window
            return "Already counted this week; the next report is due from \(Self.date(next))"
        }
        let origin = booted.origin.map(OriginCodec.decode) ?? Origin()
        guard let refspec = origin.refspec, let colon = refspec.firstIndex(of: ":") else {
            throw AptOstreeError(.invalidArgument, "countme: the booted deployment's origin names no remote to report to")
        }
        let remote = String(refspec[..<colon])
        let repo = try withContext("Opening repo") { try context.sysroot.repo() }
        let base = try withContext("Reading remote '\(remote)'") { try repo.remoteURL(remote) }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw AptOstreeError(.invalidArgument, "countme: remote '\(remote)' is not served over HTTP (\(base))")
        }
        let bucket = (old ?? CountMeCookie(epoch: CountMeCookie.windowStart(now), lastWindow: 0)).bucket(at: now)
        let url = (base.hasSuffix("/") ? base : base + "/") + "countme?countme=\(bucket)"
        try withContext("Reporting to remote '\(remote)'") {
            // Any HTTP answer counts (publishers count requests in their logs; a static repo
            // server answers 404): only a request that never reached the server fails.
            try Subprocess.run(["curl", "--silent", "--show-error", "--max-time", "30", "--output", "/dev/null",
                                "--user-agent", userAgent, url])
        }
        // Only a report that reached the server closes the window.
        let cookie = CountMeCookie.after(old, reportAt: now)
        try withContext("Writing \(file)") {
            try FS.makeDirectories(FS.dirname(of: file))
            try FS.writeFile(file, cookie.json.serialized() + "\n")
        }
        return "Counted this week at remote '\(remote)' (age bucket \(bucket))"
    }

    static func date(_ t: Int64) -> String {
        var tt = time_t(t)
        var tmv = tm()
        gmtime_r(&tt, &tmv)
        var buf = [CChar](repeating: 0, count: 32)
        let n = strftime(&buf, buf.count, "%Y-%m-%d", &tmv)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
