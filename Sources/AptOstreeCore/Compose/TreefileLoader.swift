import AptOstreeModel
import AptOstreePOSIX
import Yams

/// Reads a compose manifest: YAML (or JSON, which is YAML) into a `Treefile`. As in
/// rpm-ostree, `include:` (a path or a list, relative to the including file) pulls other
/// manifests in first: their lists are joined (without repeats), their mappings merged, and
/// the including file's scalars win. Paths (keyrings, postprocess scripts, local packages)
/// are relative to the file that names them; local package globs are expanded here.
public enum TreefileLoader {
    /// A loaded manifest and what hashing it needs.
    public struct Loaded: Sendable {
        /// The manifest, includes merged, paths absolute, globs expanded.
        public var treefile: Treefile
        /// The top manifest's folder.
        public var directory: String
        /// The text of each postprocess script file, in order.
        public var scriptTexts: [String]
        /// The SHA-256 of each local package, in order.
        public var localPackageDigests: [String]
    }

    /// Keys whose values are paths relative to the manifest that names them.
    static let pathKeys = ["keyrings", "postprocess-scripts", "local-packages"]

    /// Loads the manifest at `path` and everything it includes.
    public static func load(_ path: String) throws -> Loaded {
        let top = FS.lexicallyNormal(FS.absolute(path))
        var treefile = try oneLineErrors { try Treefile(json: .object(try loadObject(top, chain: [])), source: top) }
        for k in treefile.keyrings where FS.kind(k) != .regular && FS.kind(k) != .symlink {
            throw AptOstreeError(.invalidArgument, "\(top): keyring \(k) does not exist")
        }
        let scripts = try treefile.postprocessScripts.map { s -> String in
            guard FS.kind(s) == .regular else { throw AptOstreeError(.invalidArgument, "\(top): postprocess script \(s) does not exist") }
            return try FileText.read(s)
        }
        treefile.localPackages = try treefile.localPackages.flatMap { p -> [String] in
            guard p.contains(where: { "*?[".contains($0) }) else {
                let kind = FS.kind(p)
                if kind == .missing { throw AptOstreeError(.invalidArgument, "\(top): local package \(p) does not exist") }
                if kind != .regular && kind != .symlink { throw AptOstreeError(.invalidArgument, "\(top): local package \(p) is not a file") }
                return [p]
            }
            let matches = FS.glob(p)
            if matches.isEmpty { throw AptOstreeError(.invalidArgument, "\(top): local package \(p) matches no file") }
            return matches
        }
        let digests = try treefile.localPackages.map(LocalPackages.sha256File)
        return Loaded(treefile: treefile, directory: FS.dirname(of: top), scriptTexts: scripts, localPackageDigests: digests)
    }

    /// One manifest file as a JSON object with its includes merged in and its paths made
    /// absolute; `chain` is the files including it, to name a cycle.
    static func loadObject(_ path: String, chain: [String]) throws -> [String: JSONValue] {
        if chain.contains(path) {
            let cycle = (chain.drop(while: { $0 != path }) + [path]).map(FS.basename).joined(separator: " -> ")
            throw AptOstreeError(.invalidArgument, "\(chain.last ?? path): including \(path) makes a cycle (\(cycle))")
        }
        let text: String
        do { text = try FileText.read(path) } catch let e as AptOstreeError {
            throw AptOstreeError(.invalidArgument, "Reading manifest \(e.message)" + (chain.last.map { " (included by \($0))" } ?? ""))
        }
        guard case .object(var object) = try json(text, source: path) else {
            throw AptOstreeError(.invalidArgument, "\(path): a manifest is a mapping of keys to values")
        }
        for key in object.keys.sorted() where key != "include" && !Treefile.keys.contains(key) {
            throw AptOstreeError(.invalidArgument, "\(path): unknown key '\(key)'")
        }
        let dir = FS.dirname(of: path)
        for key in pathKeys {
            guard case .array(let list)? = object[key] else { continue }
            object[key] = .array(list.map {
                guard case .string(let p) = $0, !p.hasPrefix("/") else { return $0 }
                return .string(FS.lexicallyNormal(dir + "/" + p))
            })
        }
        var includes: [String] = []
        switch object.removeValue(forKey: "include") {
        case nil, .null?: break
        case .string(let s)?: includes = [s]
        case .array(let a)?:
            includes = try a.map {
                guard case .string(let s) = $0 else { throw AptOstreeError(.invalidArgument, "\(path): every entry of 'include' must be a path") }
                return s
            }
        default: throw AptOstreeError(.invalidArgument, "\(path): 'include' must be a path or a list of paths")
        }
        var merged: [String: JSONValue] = [:]
        for inc in includes {
            let incPath = FS.lexicallyNormal(inc.hasPrefix("/") ? inc : dir + "/" + inc)
            merged = merge(merged, try loadObject(incPath, chain: chain + [path]))
        }
        return merge(merged, object)
    }

    /// `over` laid on `base`: lists joined without repeats, mappings merged, other values replaced.
    static func merge(_ base: [String: JSONValue], _ over: [String: JSONValue]) -> [String: JSONValue] {
        var out = base
        for (k, v) in over {
            switch (base[k], v) {
            case (.array(let a)?, .array(let b)):
                out[k] = .array(a + b.filter { !a.contains($0) })
            case (.object(let a)?, .object(let b)):
                out[k] = .object(merge(a, b))
            default:
                out[k] = v
            }
        }
        return out
    }

    /// Parses manifest text; `source` names it in errors.
    public static func parse(_ text: String, source: String) throws -> Treefile {
        try oneLineErrors { try Treefile(json: try json(text, source: source), source: source) }
    }

    /// Manifest text as JSON; `source` names it in errors.
    static func json(_ text: String, source: String) throws -> JSONValue {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw AptOstreeError(.invalidArgument, "\(source): not valid YAML: \(oneLine("\(error)"))")
        }
        guard let node else { throw AptOstreeError(.invalidArgument, "\(source): the manifest is empty") }
        return try json(node, source: source)
    }

    /// A YAML node as JSON: scalars by their resolved tag (YAML 1.1 core schema).
    static func json(_ node: Node, source: String) throws -> JSONValue {
        switch node {
        case .scalar(let s):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map(JSONValue.bool) ?? .string(s.string)
            case .int: return node.int.map { .int(Int64($0)) } ?? .string(s.string)
            case .float: return node.float.map(JSONValue.double) ?? .string(s.string)
            default: return .string(s.string)
            }
        case .sequence(let seq):
            return .array(try seq.map { try json($0, source: source) })
        case .mapping(let map):
            var o: [String: JSONValue] = [:]
            for (k, v) in map {
                guard let key = k.string else { throw AptOstreeError(.invalidArgument, "\(source): a key is not a string") }
                o[key] = try json(v, source: source)
            }
            return .object(o)
        case .alias:
            throw AptOstreeError(.invalidArgument, "\(source): YAML aliases are not supported")
        }
    }

    /// Errors that quote manifest text (a key or value may hold a line break) as one line.
    static func oneLineErrors<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as AptOstreeError where e.message.contains(where: \.isNewline) {
            throw AptOstreeError(e.code, e.message.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: "\\n"))
        }
    }

    private static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: { $0 == "\n" }).map(\.trimmingSpaces).joined(separator: " ")
    }
}
