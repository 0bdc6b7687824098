import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit

/// The apt sources of a manifest, and apt's package lists for them kept in a cache folder:
/// `apt-get update` with a private configuration (apt's own download, signature checks and
/// If-Modified-Since), so a compose knows whether the archive moved before it bootstraps,
/// and mmdebstrap starts from lists that are already current.
struct AptLists {
    let treefile: Treefile
    let architecture: String
    /// The folder holding `lists/`, `apt.conf`, `sources.list`, `trusted.gpg.d/`.
    let directory: String

    /// The one-line sources: the mirror's suite and components, then the extra ones.
    var sourceLines: [String] {
        ["deb \(treefile.mirror) \(treefile.suite) \(treefile.components.joined(separator: " "))"] + treefile.sources
    }

    var listsDirectory: String { directory + "/lists" }

    /// Writes the private apt configuration and runs `apt-get update`.
    func update(progress: ProgressSink) throws {
        try FS.makeDirectories(listsDirectory + "/partial")
        try FS.makeDirectories(directory + "/trusted.gpg.d")
        try FS.makeDirectories(directory + "/cache/archives/partial")
        try FS.makeDirectories(directory + "/sources.list.d")
        try FS.makeDirectories(directory + "/preferences.d")
        try FS.makeDirectories(directory + "/apt.conf.d")
        // The host's archive keys, plus the manifest's keyrings.
        try FileText.removeContents(of: directory + "/trusted.gpg.d")
        var keys = try FileText.entries(of: "/etc/apt/trusted.gpg.d").map { "/etc/apt/trusted.gpg.d/" + $0 }
        keys += treefile.keyrings
        for (i, key) in keys.enumerated() {
            let ext = key.hasSuffix(".asc") ? "asc" : "gpg"
            try FS.symlink(key, at: "\(directory)/trusted.gpg.d/\(i)-\(FS.basename(of: key)).\(ext)")
        }
        try FS.writeFile(directory + "/status", "")
        try FS.writeFile(directory + "/sources.list", sourceLines.joined(separator: "\n") + "\n")
        try FS.writeFile(directory + "/apt.conf", """
            Dir "/";
            Dir::State "\(directory)";
            Dir::State::Lists "\(listsDirectory)";
            Dir::State::status "\(directory)/status";
            Dir::Cache "\(directory)/cache";
            Dir::Etc::SourceList "\(directory)/sources.list";
            Dir::Etc::SourceParts "\(directory)/sources.list.d";
            Dir::Etc::Preferences "\(directory)/preferences";
            Dir::Etc::PreferencesParts "\(directory)/preferences.d";
            Dir::Etc::TrustedParts "\(directory)/trusted.gpg.d";
            Dir::Etc::Trusted "\(directory)/trusted.gpg";
            Dir::Etc::main "/dev/null";
            Dir::Etc::Parts "\(directory)/apt.conf.d";
            APT::Architecture "\(architecture)";
            APT::Architectures { "\(architecture)"; };
            Acquire::Languages "none";
            Acquire::Retries "3";
            APT::Sandbox::User "root";

            """)
        progress.message("Updating package lists of \(treefile.suite) from \(treefile.mirror)")
        try DeploymentApt.runUpdate(environment: ["APT_CONFIG=\(directory)/apt.conf", "LC_ALL=C.UTF-8"],
                                    what: "Updating package lists of \(treefile.suite) from \(treefile.mirror)", progress: progress)
    }

    /// A digest of the signed release files apt fetched: it changes whenever the archive
    /// publishes anything for these sources.
    func releaseDigest() throws -> String {
        var parts: [String] = []
        for name in try FileText.entries(of: listsDirectory).sorted()
        where name.hasSuffix("_InRelease") || name.hasSuffix("_Release") {
            parts.append(name + "\n" + sha256Hex(try FileText.read(listsDirectory + "/" + name)))
        }
        guard !parts.isEmpty else {
            throw AptOstreeError(.failed, "apt fetched no release file for \(treefile.suite) from \(treefile.mirror)")
        }
        return sha256Hex(parts.joined(separator: "\n"))
    }

    /// Fails, naming them, when packages the manifest asks for are not in the lists.
    func checkPackagesExist(_ names: [String]) throws {
        guard !names.isEmpty else { return }
        let bases = names.map { String($0.split(separator: ":").first ?? Substring($0)) }
        var found = Set<String>()
        try Subprocess.run(["apt-cache", "show", "--no-all-versions"] + bases,
                           environment: ["APT_CONFIG=\(directory)/apt.conf", "LC_ALL=C.UTF-8"],
                           allowFailure: true, onLine: { line in
                               if line.hasPrefix("Package: ") { found.insert(String(line.dropFirst(9))) }
                               // A virtual package some real one provides: apt can still pick it.
                               if line.hasPrefix("N: Can't select versions from package '"),
                                  let name = line.dropFirst(39).split(separator: "'").first { found.insert(String(name)) }
                           })
        let missing = zip(names, bases).filter { !found.contains($0.1) }.map(\.0)
        if !missing.isEmpty {
            throw AptOstreeError(.notFound, "Package\(missing.count > 1 ? "s" : "") not found in \(treefile.suite) (\(treefile.mirror)): \(missing.joined(separator: ", "))")
        }
    }

    /// What apt would install for `variant` plus `packages` on an empty system, with the
    /// manifest's exclusions pinned away: apt's own resolution (`--dry-run`). Returns
    /// `name version` lines.
    func simulate(variant: String, packages: [String]) throws -> [String] {
        let base: [String]
        switch variant {
        case "extract", "custom": base = []
        case "essential": base = ["?essential"]
        case "apt": base = ["?essential", "apt"]
        case "minbase", "required", "buildd": base = ["?essential", "?priority(required)", "apt"] + (variant == "buildd" ? ["build-essential"] : [])
        default: base = ["?essential", "?priority(required)", "?priority(important)", "apt"] + (variant == "standard" ? ["?priority(standard)"] : [])
        }
        let prefs = Bootstrap.excludePins(treefile.excludePackages)
        try FS.writeFile(directory + "/preferences.d/apt-ostree-compose-exclude", prefs)
        defer { try? FS.remove(directory + "/preferences.d/apt-ostree-compose-exclude") }
        var installs: [String] = [], errors: [String] = []
        try Subprocess.run(["apt-get", "-s", "-q", "-o", "APT::Install-Recommends=false", "install"] + base + packages,
                           environment: ["APT_CONFIG=\(directory)/apt.conf", "LC_ALL=C.UTF-8"], allowFailure: true) { line in
            // "Inst NAME (VERSION SOURCE [ARCH])"
            if line.hasPrefix("Inst ") {
                let f = line.split(separator: " ")
                if f.count >= 3 { installs.append("\(f[1]) \(f[2].dropFirst())") }
            } else if line.hasPrefix("E: ") || line.hasPrefix(" "), let text = DeploymentApt.errorText(line) {
                errors.append(text)
            }
        }
        if installs.isEmpty && !errors.isEmpty {
            throw AptOstreeError(.conflict, "apt cannot resolve the package set: " + errors.joined(separator: " "))
        }
        return installs.sorted()
    }
}
