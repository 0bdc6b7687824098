import ArgumentParser
import AptOstreeModel

extension AptOstree {
    /// `db`: package lists of commits, from their metadata.
    struct Db: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Commands to query the package database",
            subcommands: [List.self, Diff.self, Version.self])
    }

    /// `search TERM...`.
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search for packages (names and descriptions, apt's lists)")
        @OptionGroup var globals: GlobalOptions
        @Argument(help: ArgumentHelp("Regular expressions, all of which must match.", valueName: "TERM"))
        var terms: [String] = []

        func validate() throws {
            if terms.isEmpty && !globals.version { throw ValidationError("At least one TERM must be specified") }
        }

        func run() throws {
            if globals.handledVersion() { return }
            let lines = try globals.engine().search(globals.sysrootOptions, terms: terms)
            if lines.isEmpty { throw AptOstreeError(.notFound, "No matches for \(terms.joined(separator: " "))") }
            for l in lines { print(l) }
        }
    }

    /// `info PKG...`.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show information about packages (apt's records)")
        @OptionGroup var globals: GlobalOptions
        @Argument(help: ArgumentHelp("Package names.", valueName: "PACKAGE"))
        var names: [String] = []

        func validate() throws {
            if names.isEmpty && !globals.version { throw ValidationError("At least one PACKAGE must be specified") }
        }

        func run() throws {
            if globals.handledVersion() { return }
            print(try globals.engine().info(globals.sysrootOptions, names: names))
        }
    }
}

extension AptOstree.Db {
    /// `db list [REV...] [PATTERN...]`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List packages within commits",
            discussion: "REV is a checksum, a ref, or booted, pending, rollback (default: booted). Other words are package name patterns (shell globs).")
        @OptionGroup var globals: GlobalOptions
        @Argument(help: ArgumentHelp("Revisions and package patterns.", valueName: "REV|PATTERN"))
        var words: [String] = []

        func run() throws {
            if globals.handledVersion() { return }
            let engine = try globals.engine()
            var revisions: [String] = [], patterns: [String] = []
            for w in words {
                if ["booted", "pending", "rollback"].contains(w) || (w.count == 64 && w.allSatisfy(\.isHexDigit)) || w.contains("/") {
                    revisions.append(w)
                } else {
                    patterns.append(w)
                }
            }
            for (i, rev) in (revisions.isEmpty ? [nil] : revisions.map(Optional.some)).enumerated() {
                let list = try engine.packages(globals.sysrootOptions, revision: rev)
                if i > 0 { print("") }
                print("ostree commit: \(rev ?? "booted") (\(list.checksum))")
                for p in list.packages where patterns.isEmpty || patterns.contains(where: { globMatch($0, p.name) }) {
                    print(" " + p.line)
                }
            }
        }
    }

    /// `db diff [FROM [TO]]`.
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show package changes between two commits",
            discussion: "Default: from the booted deployment to the pending one (the default deployment).")
        @OptionGroup var globals: GlobalOptions
        @Option(name: [.customShort("F"), .long], help: ArgumentHelp("Output format: diff or json", valueName: "FORMAT"))
        var format: String = "diff"
        @Argument(help: ArgumentHelp("From and to revisions.", valueName: "REV"))
        var revisions: [String] = []

        func validate() throws {
            guard ["diff", "json", "block"].contains(format) else { throw ValidationError("--format must be diff or json, not '\(format)'") }
            guard revisions.count <= 2 else { throw ValidationError("At most two revisions") }
        }

        func run() throws {
            if globals.handledVersion() { return }
            let engine = try globals.engine()
            let fromRev = revisions.first ?? "booted", toRev = revisions.count > 1 ? revisions[1] : "pending"
            let from = try engine.packages(globals.sysrootOptions, revision: fromRev)
            let to = try engine.packages(globals.sysrootOptions, revision: toRev)
            let diff = PackageDiff(from: from.packages, to: to.packages)
            if format == "json" {
                var j = diff.json
                if case .object(var o) = j {
                    o["from"] = .string(from.checksum)
                    o["to"] = .string(to.checksum)
                    j = .object(o)
                }
                print(j.serialized())
                return
            }
            print("ostree diff commit from: \(fromRev) (\(from.checksum))")
            print("ostree diff commit to:   \(toRev) (\(to.checksum))")
            if diff.isEmpty { print("No changes."); return }
            if !diff.upgraded.isEmpty { print("Upgraded:"); for c in diff.upgraded { print("  \(c.to.name) \(c.from.version) -> \(c.to.version)") } }
            if !diff.downgraded.isEmpty { print("Downgraded:"); for c in diff.downgraded { print("  \(c.to.name) \(c.from.version) -> \(c.to.version)") } }
            if !diff.removed.isEmpty { print("Removed:"); for p in diff.removed { print("  \(p.name)-\(p.version)") } }
            if !diff.added.isEmpty { print("Added:"); for p in diff.added { print("  \(p.name)-\(p.version)") } }
        }
    }

    /// `db version [REV...]`.
    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the package database version of commits (a digest of the package list)")
        @OptionGroup var globals: GlobalOptions
        @Argument(help: ArgumentHelp("Revisions (default: booted).", valueName: "REV"))
        var revisions: [String] = []

        func run() throws {
            if globals.handledVersion() { return }
            let engine = try globals.engine()
            for rev in revisions.isEmpty ? ["booted"] : revisions {
                let list = try engine.packages(globals.sysrootOptions, revision: rev)
                print("ostree commit: \(rev) (\(list.checksum))")
                print("  dpkg database: \(list.packages.count) packages, list digest \(fnv1a(list.packages.map(\.line).joined(separator: "\n")))")
            }
        }
    }
}

/// A stable 64-bit FNV-1a digest in hex (no crypto needed: it names a list, it does not guard it).
func fnv1a(_ s: String) -> String {
    var h: UInt64 = 0xcbf29ce484222325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// Shell-glob matching of `name` against `pattern` (`*`, `?`); a pattern without either
/// must match exactly.
func globMatch(_ pattern: String, _ name: String) -> Bool {
    let p = Array(pattern), n = Array(name)
    var pi = 0, ni = 0, star = -1, mark = 0
    while ni < n.count {
        if pi < p.count && (p[pi] == "?" || p[pi] == n[ni]) { pi += 1; ni += 1 }
        else if pi < p.count && p[pi] == "*" { star = pi; mark = ni; pi += 1 }
        else if star >= 0 { pi = star + 1; mark += 1; ni = mark }
        else { return false }
    }
    while pi < p.count && p[pi] == "*" { pi += 1 }
    return pi == p.count
}
