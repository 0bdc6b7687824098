/// Which sysroot and stateroot a command works on (`--sysroot`, `--os`).
public struct SysrootOptions: Sendable, Equatable {
    /// The sysroot folder; `/` is the running system.
    public var path: String
    /// The stateroot; nil picks the booted one, else the default deployment's.
    public var osname: String?

    /// Makes options.
    public init(path: String = "/", osname: String? = nil) {
        self.path = path
        self.osname = osname
    }
}

/// Where an operation reports what it is doing. The engine never prints: the CLI renders
/// these events on a terminal, the daemon turns them into D-Bus signals.
public protocol ProgressSink: Sendable {
    /// A line of information for the user ("Moving 'abc.0' to be first deployment").
    func message(_ text: String)
    /// Called before each step that cannot be undone; throws `cancelled` when the
    /// transaction was cancelled, so it stops at a safe point.
    func checkpoint() throws
    /// How far a long step is: a bar on a terminal, a PercentProgress signal on the bus.
    func percent(_ text: String, _ value: Int)
}

extension ProgressSink {
    /// Sinks without a bar print the figure.
    public func percent(_ text: String, _ value: Int) { message("\(text) \(value)%") }

    /// Throws `cancelled` once the process was interrupted (SIGINT/SIGTERM in direct mode).
    public func checkpoint() throws {
        if Interruption.requested != 0 { throw AptOstreeError(.cancelled, "Cancelled") }
    }
}

/// Set from a signal handler when the user interrupts an in-process operation (Ctrl-C):
/// the next checkpoint stops it, and every cleanup on the way out still runs.
public enum Interruption {
    nonisolated(unsafe) public static var requested: Int32 = 0
}

/// Drops every event (tests, quiet mode).
public struct SilentProgress: ProgressSink {
    public init() {}
    public func message(_ text: String) {}
    public func percent(_ text: String, _ value: Int) {}
}

/// `kargs`, in rpm-ostree's terms.
public struct KargsRequest: Sendable, Equatable {
    public var append: [String] = []
    public var appendIfMissing: [String] = []
    public var delete: [String] = []
    public var deleteIfPresent: [String] = []
    /// `KEY=VALUE` (single-valued key) or `KEY=OLD=NEW`.
    public var replace: [String] = []
    /// A whole new command line (from `--editor`).
    public var finalArgs: String?
    /// Which deployment (index in the sysroot's list) to start from; default: the default one.
    public var deployIndex: Int?
    /// Start from the running kernel's command line instead.
    public var importProcCmdline = false
    /// Where the running kernel's command line is read from.
    public var procCmdlinePath = "/proc/cmdline"
    /// Compute and report, change nothing.
    public var printOnly = false

    /// Makes an empty request (which only shows the arguments).
    public init() {}

    /// Whether the request changes anything at all.
    public var isModification: Bool {
        !(append.isEmpty && appendIfMissing.isEmpty && delete.isEmpty && deleteIfPresent.isEmpty
          && replace.isEmpty) || finalArgs != nil
    }

    /// As a JSON object (the D-Bus `a{sv}` and the direct engine share this form).
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "append": .strings(append), "append-if-missing": .strings(appendIfMissing),
            "delete": .strings(delete), "delete-if-present": .strings(deleteIfPresent),
            "replace": .strings(replace), "import-proc-cmdline": .bool(importProcCmdline),
            "print-only": .bool(printOnly),
        ]
        if let finalArgs { o["final-args"] = .string(finalArgs) }
        if let deployIndex { o["deploy-index"] = .int(Int64(deployIndex)) }
        return .object(o)
    }

    /// Reads the JSON form; unknown keys are ignored, wrong types are an error.
    public init(json: JSONValue) throws {
        func strings(_ k: String) throws -> [String] {
            guard let v = json[k] else { return [] }
            guard let a = v.arrayValue else { throw AptOstreeError(.invalidArgument, "'\(k)' must be a string list") }
            return try a.map { guard let s = $0.stringValue else { throw AptOstreeError(.invalidArgument, "'\(k)' must be a string list") }; return s }
        }
        append = try strings("append")
        appendIfMissing = try strings("append-if-missing")
        delete = try strings("delete")
        deleteIfPresent = try strings("delete-if-present")
        replace = try strings("replace")
        finalArgs = json["final-args"]?.stringValue
        deployIndex = json["deploy-index"]?.intValue.map { Int($0) }
        importProcCmdline = json["import-proc-cmdline"]?.boolValue ?? false
        printOnly = json["print-only"]?.boolValue ?? false
    }
}

/// `cleanup`: rpm-ostree's -p, -r, -b, -m.
public struct CleanupRequest: Sendable, Equatable {
    public var pending = false
    public var rollback = false
    public var base = false
    public var repomd = false

    /// Makes a request.
    public init(pending: Bool = false, rollback: Bool = false, base: Bool = false, repomd: Bool = false) {
        self.pending = pending
        self.rollback = rollback
        self.base = base
        self.repomd = repomd
    }

    /// rpm-ostree's element names: pending-deploy, rollback-deploy, base, repomd.
    public var elements: [String] {
        (pending ? ["pending-deploy"] : []) + (rollback ? ["rollback-deploy"] : [])
            + (base ? ["base"] : []) + (repomd ? ["repomd"] : [])
    }

    /// From rpm-ostree's element names; an unknown one is an error.
    public init(elements: [String]) throws {
        for e in elements {
            switch e {
            case "pending-deploy": pending = true
            case "rollback-deploy": rollback = true
            case "base": base = true
            case "repomd": repomd = true
            default: throw AptOstreeError(.invalidArgument, "Unknown cleanup element '\(e)'")
            }
        }
    }
}
