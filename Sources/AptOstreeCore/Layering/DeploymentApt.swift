import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit
#if canImport(Glibc)
import Glibc
#endif

/// apt, pointed at a deployment: the machine's sources and keys (the deployment's merged
/// /etc/apt, which the admin edits), a dpkg status file (the base tree's, or a layer's), and
/// a cache of package lists and downloaded .debs in the stateroot's /var/cache/apt-ostree
/// (/var/cache/apt-ostree on the running system). apt resolves and downloads; nothing else
/// decides what gets installed.
public struct DeploymentApt: Sendable {
    /// The deployment's /etc/apt.
    public let etcApt: String
    /// The dpkg status file resolution starts from.
    public let status: String
    /// apt's extended_states (auto-installed marks), or /dev/null.
    public let extendedStates: String
    /// The cache folder (lists/, archives/, apt.conf).
    public let cache: String
    /// dpkg's architecture name.
    public let architecture: String

    public init(etcApt: String, status: String, extendedStates: String, cache: String, architecture: String) {
        self.etcApt = etcApt
        self.status = status
        self.extendedStates = extendedStates
        self.cache = cache
        self.architecture = architecture
    }

    var configPath: String { cache + "/apt.conf" }
    var archives: String { cache + "/archives" }
    var environment: [String] { ["APT_CONFIG=\(configPath)", "LC_ALL=C.UTF-8", "DEBIAN_FRONTEND=noninteractive"] }

    /// Writes the configuration file apt reads through APT_CONFIG.
    func writeConfig() throws {
        for d in ["/lists/partial", "/archives/partial", "/state", "/sources.list.d"] { try FS.makeDirectories(cache + d) }
        try syncSources()
        try FS.writeFile(configPath, """
            Dir "/";
            Dir::State "\(cache)/state";
            Dir::State::Lists "\(cache)/lists";
            Dir::State::status "\(status)";
            Dir::State::extended_states "\(extendedStates)";
            Dir::Cache "\(cache)";
            Dir::Cache::Archives "\(archives)";
            Dir::Cache::pkgcache "pkgcache.bin";
            Dir::Cache::srcpkgcache "srcpkgcache.bin";
            Dir::Etc "\(etcApt)";
            Dir::Etc::SourceList "\(cache)/sources.list";
            Dir::Etc::SourceParts "\(cache)/sources.list.d";
            Dir::Etc::main "/dev/null";
            Dir::Log "\(cache)/state";
            APT::Architecture "\(architecture)";
            APT::Architectures { "\(architecture)"; };
            APT::Sandbox::User "root";
            Acquire::Languages "none";
            Acquire::Retries "3";
            Debug::NoLocking "true";

            """)
    }

    /// Copies the deployment's sources into the cache, writing only what changed: every new
    /// deployment has new mtimes on its /etc files, and apt rebuilds its binary cache (0.5 s)
    /// whenever a source file looks newer.
    func syncSources() throws {
        func sync(_ from: String, _ to: String) throws {
            let text = (try? FileText.read(from)) ?? ""
            if (try? FileText.read(to)) != text { try FS.writeFile(to, text) }
        }
        try sync(etcApt + "/sources.list", cache + "/sources.list")
        let wanted = try FileText.entries(of: etcApt + "/sources.list.d").filter { $0.hasSuffix(".list") || $0.hasSuffix(".sources") }
        for name in try FileText.entries(of: cache + "/sources.list.d") where !wanted.contains(name) {
            try FS.remove(cache + "/sources.list.d/" + name)
        }
        for name in wanted { try sync(etcApt + "/sources.list.d/" + name, cache + "/sources.list.d/" + name) }
    }

    /// The machine's apt sources, as text (sources.list and sources.list.d).
    func sourcesText() throws -> String {
        var text = (try? FileText.read(etcApt + "/sources.list")) ?? ""
        for name in try FileText.entries(of: etcApt + "/sources.list.d").sorted() where name.hasSuffix(".list") || name.hasSuffix(".sources") {
            text += "\n" + ((try? FileText.read(etcApt + "/sources.list.d/" + name)) ?? "")
        }
        return text
    }

    /// How long package lists count as current for install (rpm-ostree's metadata expiry
    /// idea); `refresh-md` always fetches.
    public static let listsMaxAge: Int = 3600

    /// Whether the lists were fetched less than `listsMaxAge` ago for the same sources.
    func listsAreCurrent() throws -> Bool {
        var st = stat()
        let stamp = cache + "/lists-updated"
        guard stat(stamp, &st) == 0, time(nil) - st.st_mtim.tv_sec < Self.listsMaxAge else { return false }
        return (try? FileText.read(stamp)) == sha256Hex(try sourcesText())
    }

    /// Updates the lists unless they are current (install's default).
    public func updateIfStale(progress: ProgressSink) throws {
        if try listsAreCurrent() {
            progress.message("Package lists are current (fetched less than \(Self.listsMaxAge / 60) minutes ago for these sources)")
            return
        }
        progress.message("Updating package lists")
        try update(progress: progress)
    }

    /// `apt-get update` into the cache (refresh-md): apt's If-Modified-Since makes an
    /// unchanged archive cheap.
    public func update(progress: ProgressSink) throws {
        try writeConfig()
        try Self.runUpdate(environment: environment, what: "Updating package lists", progress: progress)
        try FS.writeFile(cache + "/lists-updated", sha256Hex(try sourcesText()))
    }

    /// Runs `apt-get update` with `environment`; a failure is one error with apt's E: lines.
    static func runUpdate(environment: [String], what: String, progress: ProgressSink) throws {
        var errors: [String] = []
        let status = try Subprocess.run(["apt-get", "-q", "-o", "APT::Update::Error-Mode=any", "update"],
                                        environment: environment, allowFailure: true) { line in
            if line.hasPrefix("Get:") || line.hasPrefix("Err:") { progress.message("  " + line) }
            if line.hasPrefix("E: ") && !line.hasPrefix("E: Some index files failed") { errors.append(String(line.dropFirst(3))) }
        }
        if status != 0 {
            throw AptOstreeError(.failed, "\(what): " + (errors.isEmpty ? "apt-get update exited with status \(status)" : errors.joined(separator: "; ")))
        }
    }

    /// apt's resolution errors as one error: packages it does not know (notFound), or why
    /// it cannot install the set (conflict).
    static func resolutionError(_ errors: [String], _ packages: [String]) -> AptOstreeError {
        let missing = errors.filter { $0.hasPrefix("Unable to locate package") }
        if !missing.isEmpty {
            return AptOstreeError(.notFound, "Packages not found: " + missing.map { String($0.dropFirst("Unable to locate package ".count)) }.joined(separator: ", "))
        }
        return AptOstreeError(.conflict, "apt cannot install \(packages.joined(separator: " ")): " + errors.joined(separator: " "))
    }

    /// The text of an apt error line (`E: ...`) or of an indented reason under it; nil when empty.
    static func errorText(_ line: String) -> String? {
        let text = line.hasPrefix("E: ") ? String(line.dropFirst(3)) : String(line.drop(while: { $0 == " " }))
        return text.isEmpty ? nil : text
    }

    /// Whether package lists were ever fetched into the cache.
    public var hasLists: Bool {
        ((try? FileText.entries(of: cache + "/lists")) ?? []).contains { $0.hasSuffix("_Packages") || $0.hasSuffix("_Packages.lz4") }
    }

    /// One package apt decided to install.
    public struct Planned: Sendable, Equatable {
        public var name: String
        public var version: String
        public var architecture: String
        /// The file apt downloads it to.
        public var fileName: String {
            "\(name)_\(version.replacingColons)_\(architecture).deb"
        }
    }

    /// What apt decided: the packages it installs (new, upgraded or downgraded), their
    /// files (after a download), and the installed packages it removes.
    public struct Resolution: Sendable, Equatable {
        public var planned: [Planned] = []
        public var debs: [String] = []
        public var removed: [String] = []
    }

    /// Options every resolution takes: an explicit version or local .deb may be older than
    /// the base's (override replace); removals are allowed and checked by the caller.
    static let resolveOptions = ["--allow-downgrades"]

    /// What apt would do for `packages` (names, `name=version`, `name-` to remove, or paths
    /// of local .debs) on top of the status file: its own resolution, with the reasons it
    /// gives on failure.
    public func plan(_ packages: [String]) throws -> Resolution {
        try writeConfig()
        var r = Resolution(), errors: [String] = []
        let status = try Subprocess.run(["apt-get", "-s", "-q", "install"] + Self.resolveOptions + packages,
                                        environment: environment, tailLines: 20, allowFailure: true) { line in
            // "Inst NAME [OLD] (VERSION RELEASE [ARCH])", "Remv NAME [VERSION]"
            if line.hasPrefix("Inst "), let open = line.firstIndex(of: "(") {
                let name = line.dropFirst(5).prefix(while: { $0 != " " })
                let inside = line[line.index(after: open)...]
                let version = inside.prefix(while: { $0 != " " && $0 != ")" })
                let arch = line.split(separator: "[").last.map { String($0.prefix(while: { $0 != "]" })) } ?? architecture
                r.planned.append(Planned(name: String(name), version: String(version), architecture: arch))
            } else if line.hasPrefix("Remv ") {
                r.removed.append(String(line.dropFirst(5).prefix(while: { $0 != " " })))
            } else if line.hasPrefix("E: ") || line.hasPrefix(" "), let text = Self.errorText(line) {
                errors.append(text)
            }
        }
        if status != 0 { throw Self.resolutionError(errors, packages) }
        return r
    }

    /// Resolves and downloads in one apt run (what a real change does; `plan` is for
    /// --dry-run): apt's lists of new, upgraded, downgraded and removed packages with their
    /// versions are the plan; the files are in the cache (or where a file: source or a local
    /// .deb has them).
    public func planAndDownload(_ packages: [String], localDebs: [String: String] = [:],
                                progress: ProgressSink) throws -> Resolution {
        try writeConfig()
        var local: [String: String] = [:]
        if try sourcesText().contains("file:") {
            try Subprocess.run(["apt-get", "-qq", "--print-uris", "install"] + Self.resolveOptions + packages, environment: environment,
                               allowFailure: true) { line in
                let f = line.split(separator: " ")
                guard f.count >= 2, f[0].hasPrefix("'file:") else { return }
                local[String(f[1])] = String(f[0].dropFirst(6).dropLast()).removingPercentEncoding
            }
        }
        var installs: [String] = [], removals: [String] = [], errors: [String] = []
        var section: Int = 0 // 0 none, 1 installs, 2 removals
        let resolved = DeferredFailpoint("resolve.after")
        let status = try Subprocess.run(["apt-get", "-q", "-y", "-o", "APT::Get::Show-Versions=true", "--download-only", "install"]
                                        + Self.resolveOptions + packages,
                                        environment: environment, tailLines: 20, allowFailure: true) { line in
            if line.hasPrefix("The following ") {
                section = line.hasSuffix("will be REMOVED:") ? 2
                    : (line.contains("NEW packages will be installed") || line.hasSuffix("will be upgraded:")
                       || line.hasSuffix("will be DOWNGRADED:")) ? 1 : 0
                return
            }
            if section != 0 {
                if line.hasPrefix("  ") {
                    if section == 1 { installs.append(line) } else { removals.append(line) }
                    return
                }
                section = 0
                resolved.reach()
            }
            if line.hasPrefix("Get:") { resolved.reach(); progress.message("  " + line) }
            if line.hasPrefix("E: ") || (line.hasPrefix(" ") && !line.hasPrefix("  ")), let text = Self.errorText(line) {
                errors.append(text)
            }
        }
        if status != 0 { throw Self.resolutionError(errors, packages) }
        resolved.reach()
        try resolved.raise()
        var r = Resolution()
        r.removed = Self.listedPackages(removals).map { $0.name.split(separator: ":").first.map(String.init) ?? $0.name }
        for (nameArch, version) in Self.listedPackages(installs) {
            let parts = nameArch.split(separator: ":", maxSplits: 1).map(String.init)
            let name = parts[0]
            if let given = localDebs[name] {
                r.planned.append(Planned(name: name, version: version, architecture: architecture))
                r.debs.append(given)
                continue
            }
            let arches = parts.count > 1 ? [parts[1]] : [architecture, "all"]
            guard let (arch, path) = arches.lazy.compactMap({ a -> (String, String)? in
                let file = Planned(name: name, version: version, architecture: a).fileName
                if let l = local[file] { return (a, l) }
                let p = archives + "/" + file
                return FS.kind(p) == .regular ? (a, p) : nil
            }).first else {
                throw AptOstreeError(.failed, "apt did not download \(name) \(version)")
            }
            r.planned.append(Planned(name: name, version: version, architecture: arch))
            r.debs.append(path)
        }
        return r
    }

    /// The entries of apt's package lists with versions (APT::Get::Show-Versions):
    /// `name (version)` or `name (old => new)`, one or more per line; a purge mark `*` goes.
    static func listedPackages(_ lines: [String]) -> [(name: String, version: String)] {
        var out: [(String, String)] = []
        var rest = Substring(lines.joined(separator: " "))
        while true {
            rest = rest.drop(while: { $0 == " " })
            guard !rest.isEmpty else { break }
            let name = rest.prefix(while: { $0 != " " && $0 != "(" })
            rest = rest.dropFirst(name.count).drop(while: { $0 == " " })
            var version = ""
            if rest.first == "(" {
                let inside = rest.dropFirst().prefix(while: { $0 != ")" })
                rest = rest.dropFirst(inside.count + 2)
                version = inside.split(separator: " ").last.map(String.init) ?? ""
            }
            var n = String(name)
            if n.hasSuffix("*") { n.removeLast() }
            if !n.isEmpty { out.append((n, version)) }
        }
        return out
    }

    /// Downloads `name` at exactly `version` from the sources into `folder` (apt-get
    /// download); returns the file's path.
    public func download(name: String, version: String, into folder: String, progress: ProgressSink) throws -> String {
        try writeConfig()
        var errors: [String] = []
        progress.message("Downloading \(name) \(version)")
        let status = try Subprocess.run(["sh", "-c", "cd \"$1\" && shift && exec apt-get -q download \"$@\"", "sh", folder, "\(name)=\(version)"],
                                        environment: environment, allowFailure: true) { line in
            if line.hasPrefix("E: "), let text = Self.errorText(line) { errors.append(text) }
        }
        if status != 0 {
            throw AptOstreeError(.notFound, "Cannot download \(name)=\(version): " + (errors.isEmpty ? "apt-get download exited with status \(status)" : errors.joined(separator: "; ")))
        }
        guard let file = try FileText.entries(of: folder).first(where: { $0.hasPrefix(name + "_") && $0.hasSuffix(".deb") }) else {
            throw AptOstreeError(.failed, "apt-get download left no file for \(name)=\(version)")
        }
        return folder + "/" + file
    }
}

extension String {
    /// apt's file names encode an epoch's colon as %3a.
    var replacingColons: String {
        split(separator: ":", omittingEmptySubsequences: false).joined(separator: "%3a")
    }
}

extension String {
    /// `%XX` escapes decoded (apt's URIs).
    var removingPercentEncoding: String {
        var out: [UInt8] = []
        var bytes = Array(utf8)[...]
        while let b = bytes.first {
            bytes = bytes.dropFirst()
            if b == UInt8(ascii: "%"), bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
