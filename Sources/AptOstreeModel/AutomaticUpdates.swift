/// `AutomaticUpdatePolicy=` in apt-ostreed.conf: what `apt-ostreed-automatic.service` does.
public enum AutomaticUpdatePolicy: String, CaseIterable, Sendable {
    /// Nothing (the default).
    case none
    /// Fetch the new base's commit metadata only; `status` shows the update.
    case check
    /// Fetch and deploy the update (it becomes the pending deployment, booted at next reboot).
    case stage
    /// As `check`, but stage an update whose commit is marked as a security update
    /// (`aptostree.security-update=true` in its metadata, set by the publisher).
    case security

    /// Parses a config value; the error names the key and the accepted values.
    public init(config value: String, file: String) throws {
        guard let p = AutomaticUpdatePolicy(rawValue: value.lowercased()) else {
            throw AptOstreeError(.invalidArgument,
                                 "\(file): AutomaticUpdatePolicy must be none, check, stage or security, not '\(value)'")
        }
        self = p
    }
}

/// What the last run of the automatic update service did (kept in the stateroot's
/// /var/lib/apt-ostree/updates.json beside the cached update).
public struct AutomaticRun: Sendable, Equatable {
    /// When it ran (seconds since the epoch).
    public var timestamp: Int64
    /// The policy it ran with.
    public var policy: String
    /// One line: "no update", "update available: 12.1", "staged 12.1", or the error.
    public var result: String
    /// Whether it failed.
    public var failed: Bool

    /// Makes a record.
    public init(timestamp: Int64, policy: String, result: String, failed: Bool) {
        self.timestamp = timestamp
        self.policy = policy
        self.result = result
        self.failed = failed
    }

    /// As JSON.
    public var json: JSONValue {
        ["timestamp": .int(timestamp), "policy": .string(policy), "result": .string(result), "failed": .bool(failed)]
    }

    /// From JSON; nil when a field is missing.
    public init?(json: JSONValue?) {
        guard let j = json, let t = j["timestamp"]?.intValue, let p = j["policy"]?.stringValue,
              let r = j["result"]?.stringValue else { return nil }
        self.init(timestamp: t, policy: p, result: r, failed: j["failed"]?.boolValue ?? false)
    }
}

/// The DNF "Count Me" scheme, as rpm-ostree's countme uses it: at most one report per
/// week-long window (windows start on Mondays, 00:00 UTC), carrying only the age bucket of
/// the system: 1 during its first counted week, 2 up to four weeks, 3 up to 24 weeks, 4 after.
/// The state is two timestamps on the machine (the first counted window and the last one);
/// nothing that identifies the machine is sent.
public struct CountMeCookie: Sendable, Equatable {
    /// A window's length: one week.
    public static let window: Int64 = 7 * 24 * 3600
    /// 1970-01-05 00:00 UTC, a Monday: windows are aligned to it.
    public static let offset: Int64 = 4 * 24 * 3600

    /// The start of the first window this machine was counted in.
    public var epoch: Int64
    /// The start of the last window it was counted in (0: never).
    public var lastWindow: Int64

    /// Makes a cookie.
    public init(epoch: Int64, lastWindow: Int64) {
        self.epoch = epoch
        self.lastWindow = lastWindow
    }

    /// The start of the window `time` falls in.
    public static func windowStart(_ time: Int64) -> Int64 {
        offset + ((time - offset) / window) * window
    }

    /// Whether this window was counted already.
    public func counted(at now: Int64) -> Bool {
        lastWindow != 0 && Self.windowStart(now) <= lastWindow
    }

    /// The age bucket to report at `now` (libdnf's: 1 first week, 2 first month, 3 first
    /// six months, 4 older).
    public func bucket(at now: Int64) -> Int {
        let weeks = (Self.windowStart(now) - Self.windowStart(min(epoch, now))) / Self.window
        switch weeks {
        case 0: return 1
        case 1..<4: return 2
        case 4..<24: return 3
        default: return 4
        }
    }

    /// The cookie after a successful report at `now` (a new machine's epoch is this window).
    public static func after(_ old: CountMeCookie?, reportAt now: Int64) -> CountMeCookie {
        let w = windowStart(now)
        // An epoch in the future (a clock set back) starts counting again from now.
        let epoch = old.map { $0.epoch <= now ? $0.epoch : w } ?? w
        return CountMeCookie(epoch: epoch, lastWindow: w)
    }

    /// As JSON (the file format).
    public var json: JSONValue { ["epoch": .int(epoch), "window": .int(lastWindow)] }

    /// From the file's JSON; nil for anything malformed (it is then ignored, as libdnf does).
    public init?(json: JSONValue) {
        guard let e = json["epoch"]?.intValue, let w = json["window"]?.intValue, e > 0, w > 0 else { return nil }
        self.init(epoch: e, lastWindow: w)
    }
}
