/// Debian control-file stanzas (deb822): dpkg's status file, Packages indexes, control files.
public enum Deb822 {
    /// The stanzas of `text`, each a field map (names as written). Continuation lines (a
    /// leading space or tab) are joined to their field with a newline; comment lines go.
    public static func parse(_ text: String) -> [[String: String]] {
        var stanzas: [[String: String]] = []
        var current: [String: String] = [:]
        var lastKey: String?
        // isNewline: "\r\n" is one Character in Swift, so splitting on "\n" alone would miss it.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                if !current.isEmpty { stanzas.append(current) }
                current = [:]
                lastKey = nil
            } else if line.hasPrefix("#") {
                continue
            } else if line.first == " " || line.first == "\t" {
                if let k = lastKey { current[k, default: ""] += "\n" + line.dropFirst() }
            } else if let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                      !line[..<colon].contains(where: { $0 == " " || $0 == "\t" }) {
                // A field name is at least one character, without spaces (policy 5.1); other
                // lines are malformed and skipped, ending any continuation.
                let key = String(line[..<colon])
                current[key] = String(line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" }))
                lastKey = key
            } else {
                lastKey = nil
            }
        }
        if !current.isEmpty { stanzas.append(current) }
        return stanzas
    }

    /// The installed packages of a dpkg status file: name, version, architecture, sorted by name.
    public static func installedPackages(status text: String) -> [InstalledPackage] {
        parse(text).compactMap { s -> InstalledPackage? in
            guard let name = s["Package"], !name.isEmpty, let version = s["Version"], let status = s["Status"],
                  status.hasSuffix(" installed") else { return nil }
            return InstalledPackage(name: name, version: version, architecture: s["Architecture"] ?? "all")
        }.sorted { $0.name == $1.name ? $0.architecture < $1.architecture : $0.name < $1.name }
    }
}
