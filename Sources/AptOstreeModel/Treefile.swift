/// A compose manifest (rpm-ostree's "treefile"): what `compose tree` bootstraps with
/// mmdebstrap and commits. Keys are kebab-case as in rpm-ostree; an unknown key or a value of
/// the wrong type is an error naming the key, so a typo never silently changes an image.
public struct Treefile: Sendable, Equatable {
    /// The OSTree ref the commit goes to (`debian/bookworm/x86_64/minimal`).
    public var ref: String
    /// The stateroot an image deploys into.
    public var osname = "debian"
    /// The Debian suite (`bookworm`, `trixie`, ...).
    public var suite: String
    /// The archive mirror.
    public var mirror = "http://deb.debian.org/debian"
    /// The archive components.
    public var components = ["main"]
    /// mmdebstrap's variant (`minbase` by default: Essential plus apt).
    public var variant = "minbase"
    /// dpkg's architecture name; nil means the build host's.
    public var architecture: String?
    /// Extra apt sources, one-line format (`deb URL SUITE COMPONENTS`).
    public var sources: [String] = []
    /// Keyring files (absolute, or relative to the manifest) that sign the sources.
    public var keyrings: [String] = []
    /// Packages to install on top of the variant.
    public var packages: [String] = []
    /// Local .deb files (absolute, or relative to the manifest; globs allowed) installed with
    /// the archive's packages, their dependencies resolved by apt: how an image ships a
    /// package built beside it, apt-ostree's own for one.
    public var localPackages: [String] = []
    /// Packages that must never be installed, not even as a dependency.
    public var excludePackages: [String] = []
    /// Whether the tree carries a kernel (linux-image-ARCH) and an initramfs: a bootable tree.
    public var kernel = false
    /// The initramfs generator a bootable tree uses.
    public var initramfs: InitramfsGenerator = .initramfsTools
    /// Shell scripts run in a sandbox with the tree as `/`, in order, after installation.
    public var postprocess: [String] = []
    /// Script files (relative to the manifest) run the same way, after `postprocess`.
    public var postprocessScripts: [String] = []
    /// Extra commit metadata.
    public var addCommitMetadata: [String: JSONValue] = [:]
    /// systemd units to enable.
    public var units: [String] = []
    /// The default systemd target (`multi-user.target`).
    public var defaultTarget: String?
    /// A fixed version for the commit metadata.
    public var version: String?
    /// Versions `PREFIX.N`, N counting up from the previous commit of the ref.
    public var automaticVersionPrefix: String?
    /// Kernel arguments an image made from this tree boots with (beside root= and ostree=).
    public var kernelArgs: [String] = []

    /// The initramfs generators a tree may use.
    public enum InitramfsGenerator: String, Sendable, CaseIterable {
        case initramfsTools = "initramfs-tools"
        case dracut
    }

    /// The keys a manifest may have.
    public static let keys: Set<String> = [
        "ref", "osname", "suite", "mirror", "components", "variant", "architecture", "sources",
        "keyrings", "packages", "local-packages", "exclude-packages", "kernel", "initramfs", "postprocess",
        "postprocess-scripts", "add-commit-metadata", "units", "default-target", "version",
        "automatic-version-prefix", "kernel-args",
    ]

    /// The variants mmdebstrap knows.
    public static let variants: Set<String> = [
        "extract", "custom", "essential", "apt", "required", "minbase", "buildd", "important",
        "debootstrap", "standard",
    ]

    /// Makes a manifest from its required keys.
    public init(ref: String, suite: String) {
        self.ref = ref
        self.suite = suite
    }

    /// Reads a manifest from its JSON form (what the YAML parses into). `source` names the
    /// file in errors.
    public init(json: JSONValue, source: String) throws {
        guard case .object(let o) = json else {
            throw AptOstreeError(.invalidArgument, "\(source): a manifest is a mapping of keys to values")
        }
        let reader = Reader(object: o, source: source)
        for key in o.keys.sorted() where !Self.keys.contains(key) {
            throw AptOstreeError(.invalidArgument, "\(source): unknown key '\(key)'")
        }
        self.init(ref: try reader.requiredString("ref"), suite: try reader.requiredString("suite"))
        osname = try reader.string("osname") ?? osname
        mirror = try reader.string("mirror") ?? mirror
        components = try reader.strings("components") ?? components
        variant = try reader.string("variant") ?? variant
        architecture = try reader.string("architecture")
        sources = try reader.strings("sources") ?? []
        keyrings = try reader.strings("keyrings") ?? []
        packages = try reader.strings("packages") ?? []
        localPackages = try reader.strings("local-packages") ?? []
        excludePackages = try reader.strings("exclude-packages") ?? []
        kernel = try reader.bool("kernel") ?? false
        if let name = try reader.string("initramfs") {
            guard let g = InitramfsGenerator(rawValue: name) else {
                throw AptOstreeError(.invalidArgument, "\(source): 'initramfs' must be initramfs-tools or dracut, not '\(name)'")
            }
            initramfs = g
        }
        postprocess = try reader.strings("postprocess") ?? []
        postprocessScripts = try reader.strings("postprocess-scripts") ?? []
        if let meta = o["add-commit-metadata"] {
            guard case .object(let m) = meta else {
                throw AptOstreeError(.invalidArgument, "\(source): 'add-commit-metadata' must be a mapping")
            }
            for (k, v) in m {
                switch v {
                case .string, .bool, .int: break
                default:
                    throw AptOstreeError(.invalidArgument, "\(source): 'add-commit-metadata.\(k)' must be a string, number or boolean")
                }
            }
            addCommitMetadata = m
        }
        units = try reader.strings("units") ?? []
        defaultTarget = try reader.string("default-target")
        version = try reader.string("version")
        automaticVersionPrefix = try reader.string("automatic-version-prefix")
        kernelArgs = try reader.strings("kernel-args") ?? []
        try validate(source: source)
    }

    /// Checks values that parse but cannot work.
    func validate(source: String) throws {
        func bad(_ what: String) -> AptOstreeError { AptOstreeError(.invalidArgument, "\(source): \(what)") }
        if ref.isEmpty || ref.hasPrefix("/") || ref.hasSuffix("/") || ref.contains("..") || ref.contains(where: { $0 == " " || $0 == ":" }) {
            throw bad("'ref' is not a valid OSTree ref: '\(ref)'")
        }
        if suite.isEmpty || suite.contains(where: { $0 == " " || $0 == "/" }) { throw bad("'suite' is not a suite name: '\(suite)'") }
        if !Self.variants.contains(variant) { throw bad("'variant' must be one of \(Self.variants.sorted().joined(separator: ", ")), not '\(variant)'") }
        if !(mirror.hasPrefix("http://") || mirror.hasPrefix("https://") || mirror.hasPrefix("file:/")) {
            throw bad("'mirror' must be an http://, https:// or file:/ URL, not '\(mirror)'")
        }
        if osname.isEmpty || osname.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) {
            throw bad("'osname' is not a stateroot name: '\(osname)'")
        }
        for p in packages + excludePackages where !Self.isPackageName(p) {
            throw bad("'\(p)' is not a Debian package name")
        }
        for s in sources where !(s.hasPrefix("deb ") || s.hasPrefix("deb-src ")) {
            throw bad("a 'sources' entry must be a one-line apt source ('deb URL SUITE COMPONENT...'): '\(s)'")
        }
        for p in localPackages where !p.hasSuffix(".deb") || p.contains(",") {
            throw bad("a 'local-packages' entry must be the path of a .deb file (no commas): '\(p)'")
        }
        if let clash = Set(packages).intersection(excludePackages).sorted().first {
            throw bad("'\(clash)' is both in 'packages' and 'exclude-packages'")
        }
    }

    /// Debian policy 5.6.1: lower-case letters, digits, `+ - .`, at least two, starting
    /// alphanumeric; an `:arch` qualifier is allowed for packages.
    public static func isPackageName(_ name: String) -> Bool {
        let base = name.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        guard base.count >= 2, let first = base.first, first.isASCII && (first.isLowercase || first.isNumber) else { return false }
        return base.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }
    }

    /// The packages mmdebstrap installs: the manifest's, plus what a bootable tree needs
    /// (the kernel, the initramfs generator, and libostree's boot pieces).
    public var effectivePackages: [String] {
        var list = packages
        if kernel {
            let arch = architecture ?? "amd64"
            list += ["linux-image-\(arch)", initramfs.rawValue, "ostree", "ostree-boot", "systemd-sysv"]
        }
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }

    /// The manifest as JSON, every key present: stored in the commit and hashed for "no changes".
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "ref": .string(ref), "osname": .string(osname), "suite": .string(suite), "mirror": .string(mirror),
            "components": .array(components.map(JSONValue.string)), "variant": .string(variant),
            "sources": .array(sources.map(JSONValue.string)), "keyrings": .array(keyrings.map(JSONValue.string)),
            "packages": .array(packages.map(JSONValue.string)),
            "local-packages": .array(localPackages.map(JSONValue.string)),
            "exclude-packages": .array(excludePackages.map(JSONValue.string)),
            "kernel": .bool(kernel), "initramfs": .string(initramfs.rawValue),
            "postprocess": .array(postprocess.map(JSONValue.string)),
            "postprocess-scripts": .array(postprocessScripts.map(JSONValue.string)),
            "add-commit-metadata": .object(addCommitMetadata),
            "units": .array(units.map(JSONValue.string)),
            "kernel-args": .array(kernelArgs.map(JSONValue.string)),
        ]
        if let architecture { o["architecture"] = .string(architecture) }
        if let defaultTarget { o["default-target"] = .string(defaultTarget) }
        if let version { o["version"] = .string(version) }
        if let automaticVersionPrefix { o["automatic-version-prefix"] = .string(automaticVersionPrefix) }
        return .object(o)
    }
}

/// Typed reads of a manifest's keys, with errors that name the key.
private struct Reader {
    let object: [String: JSONValue]
    let source: String

    func requiredString(_ key: String) throws -> String {
        guard let s = try string(key) else { throw AptOstreeError(.invalidArgument, "\(source): missing required key '\(key)'") }
        return s
    }

    func string(_ key: String) throws -> String? {
        guard let v = object[key], v != .null else { return nil }
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: throw AptOstreeError(.invalidArgument, "\(source): '\(key)' must be a string")
        }
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = object[key], v != .null else { return nil }
        guard case .bool(let b) = v else { throw AptOstreeError(.invalidArgument, "\(source): '\(key)' must be true or false") }
        return b
    }

    func strings(_ key: String) throws -> [String]? {
        guard let v = object[key], v != .null else { return nil }
        guard case .array(let a) = v else { throw AptOstreeError(.invalidArgument, "\(source): '\(key)' must be a list") }
        return try a.map {
            guard case .string(let s) = $0 else { throw AptOstreeError(.invalidArgument, "\(source): every entry of '\(key)' must be a string") }
            return s
        }
    }
}
