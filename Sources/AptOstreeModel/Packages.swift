/// An installed package, as commit metadata and `db` show it.
public struct InstalledPackage: Sendable, Equatable, Hashable {
    public var name: String
    public var version: String
    public var architecture: String

    public init(name: String, version: String, architecture: String) {
        self.name = name
        self.version = version
        self.architecture = architecture
    }

    /// `name version arch` (what `db list` prints).
    public var line: String { "\(name) \(version) \(architecture)" }

    /// `[name, version, architecture]`, the JSON form of status and `db list`.
    public var json: JSONValue { .array([.string(name), .string(version), .string(architecture)]) }

    /// Reads the JSON form.
    public init?(json: JSONValue) {
        guard let n = json[0]?.stringValue, let v = json[1]?.stringValue, let a = json[2]?.stringValue else { return nil }
        self.init(name: n, version: v, architecture: a)
    }
}

/// The package list of one commit.
public struct PackageList: Sendable, Equatable {
    public var checksum: String
    public var version: String?
    public var packages: [InstalledPackage]

    public init(checksum: String, version: String?, packages: [InstalledPackage]) {
        self.checksum = checksum
        self.version = version
        self.packages = packages
    }
}

/// What changed between two package lists (`db diff`).
public struct PackageDiff: Sendable, Equatable {
    public var added: [InstalledPackage] = []
    public var removed: [InstalledPackage] = []
    public var upgraded: [(from: InstalledPackage, to: InstalledPackage)] = []
    public var downgraded: [(from: InstalledPackage, to: InstalledPackage)] = []

    public static func == (a: PackageDiff, b: PackageDiff) -> Bool {
        a.added == b.added && a.removed == b.removed
            && a.upgraded.map { [$0.from, $0.to] } == b.upgraded.map { [$0.from, $0.to] }
            && a.downgraded.map { [$0.from, $0.to] } == b.downgraded.map { [$0.from, $0.to] }
    }

    /// Compares by package name (and architecture), versions by dpkg's rules.
    public init(from old: [InstalledPackage], to new: [InstalledPackage]) {
        func key(_ p: InstalledPackage) -> String { p.name + ":" + p.architecture }
        let before = Dictionary(old.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        for k in after.keys.sorted() {
            guard let n = after[k] else { continue }
            guard let o = before[k] else { added.append(n); continue }
            let c = DebianVersion.compare(o.version, n.version)
            if c < 0 { upgraded.append((o, n)) } else if c > 0 { downgraded.append((o, n)) }
        }
        removed = before.keys.sorted().filter { after[$0] == nil }.compactMap { before[$0] }
    }

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && upgraded.isEmpty && downgraded.isEmpty }

    /// `2 upgraded, 1 added` (rpm-ostree's Diff line), or `no changes`.
    public var summary: String {
        let parts = [(upgraded.count, "upgraded"), (downgraded.count, "downgraded"), (removed.count, "removed"), (added.count, "added")]
            .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        return parts.isEmpty ? "no changes" : parts.joined(separator: ", ")
    }

    /// The JSON form of `db diff --format=json`.
    public var json: JSONValue {
        func pkg(_ p: InstalledPackage) -> JSONValue { ["name": .string(p.name), "version": .string(p.version), "arch": .string(p.architecture)] }
        func change(_ c: (from: InstalledPackage, to: InstalledPackage)) -> JSONValue {
            ["name": .string(c.to.name), "arch": .string(c.to.architecture), "from": .string(c.from.version), "to": .string(c.to.version)]
        }
        return ["added": .array(added.map(pkg)), "removed": .array(removed.map(pkg)),
                "upgraded": .array(upgraded.map(change)), "downgraded": .array(downgraded.map(change))]
    }
}

/// Debian version comparison (deb-version(7)): epoch, then upstream version and revision,
/// each compared as alternating non-digit and digit runs, where `~` sorts before anything.
public enum DebianVersion {
    /// <0, 0 or >0 as `a` is lower than, equal to or higher than `b`.
    public static func compare(_ a: String, _ b: String) -> Int {
        let (ea, ua, ra) = split(a), (eb, ub, rb) = split(b)
        if ea != eb { return ea < eb ? -1 : 1 }
        let u = compareFragment(ua, ub)
        return u != 0 ? u : compareFragment(ra, rb)
    }

    static func split(_ v: String) -> (Int, [UInt8], [UInt8]) {
        var rest = Substring(v)
        var epoch = 0
        if let colon = rest.firstIndex(of: ":"), let e = Int(rest[..<colon]) {
            epoch = e
            rest = rest[rest.index(after: colon)...]
        }
        if let dash = rest.lastIndex(of: "-") {
            return (epoch, Array(rest[..<dash].utf8), Array(rest[rest.index(after: dash)...].utf8))
        }
        return (epoch, Array(rest.utf8), [])
    }

    /// dpkg's character order: `~` first, then the end, then letters, then everything else.
    static func order(_ c: UInt8?) -> Int {
        guard let c else { return 0 }
        if c == UInt8(ascii: "~") { return -1 }
        if (c >= 65 && c <= 90) || (c >= 97 && c <= 122) { return Int(c) }
        return Int(c) + 256
    }

    static func compareFragment(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var i = 0, j = 0
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        while i < a.count || j < b.count {
            var diff = 0
            while (i < a.count && !isDigit(a[i])) || (j < b.count && !isDigit(b[j])) {
                let ac = order(i < a.count && !isDigit(a[i]) ? a[i] : nil)
                let bc = order(j < b.count && !isDigit(b[j]) ? b[j] : nil)
                if ac != bc { return ac < bc ? -1 : 1 }
                i += 1; j += 1
            }
            while i < a.count && a[i] == 48 { i += 1 }
            while j < b.count && b[j] == 48 { j += 1 }
            while i < a.count && isDigit(a[i]) && j < b.count && isDigit(b[j]) {
                if diff == 0 { diff = Int(a[i]) - Int(b[j]) }
                i += 1; j += 1
            }
            if i < a.count && isDigit(a[i]) { return 1 }
            if j < b.count && isDigit(b[j]) { return -1 }
            if diff != 0 { return diff < 0 ? -1 : 1 }
        }
        return 0
    }
}

extension PackageList {
    /// The JSON form (the bus carries it as text, like status).
    public var json: JSONValue {
        var o: [String: JSONValue] = ["checksum": .string(checksum),
                                      "packages": .array(packages.map(\.json))]
        if let version { o["version"] = .string(version) }
        return .object(o)
    }

    /// Reads the JSON form.
    public init(json: JSONValue) throws {
        guard let c = json["checksum"]?.stringValue, let list = json["packages"]?.arrayValue else {
            throw AptOstreeError(.failed, "Malformed package list")
        }
        self.init(checksum: c, version: json["version"]?.stringValue, packages: list.compactMap(InstalledPackage.init(json:)))
    }
}

/// A base package replaced by another version (`override replace`).
public struct PackageReplacement: Sendable, Equatable {
    /// As the base has it.
    public var from: InstalledPackage
    /// As the deployment has it.
    public var to: InstalledPackage

    public init(from: InstalledPackage, to: InstalledPackage) {
        self.from = from
        self.to = to
    }
}
