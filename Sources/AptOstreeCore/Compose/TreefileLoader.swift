import AptOstreeModel
import AptOstreePOSIX
import Yams

/// Reads a compose manifest: YAML (or JSON, which is YAML) into a `Treefile`, with relative
/// paths (keyrings, postprocess scripts) resolved against the manifest's folder.
public enum TreefileLoader {
    /// A loaded manifest and what hashing it needs.
    public struct Loaded: Sendable {
        /// The manifest.
        public var treefile: Treefile
        /// The manifest's folder.
        public var directory: String
        /// The text of each postprocess script file, in order.
        public var scriptTexts: [String]
    }

    /// Loads the manifest at `path`.
    public static func load(_ path: String) throws -> Loaded {
        let text: String
        do { text = try FileText.read(path) } catch let e as AptOstreeError {
            throw AptOstreeError(.invalidArgument, "Reading manifest \(e.message)")
        }
        var treefile = try parse(text, source: path)
        let dir = FS.dirname(of: path)
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : dir + "/" + p }
        treefile.keyrings = treefile.keyrings.map(resolve)
        treefile.postprocessScripts = treefile.postprocessScripts.map(resolve)
        for k in treefile.keyrings where FS.kind(k) != .regular && FS.kind(k) != .symlink {
            throw AptOstreeError(.invalidArgument, "\(path): keyring \(k) does not exist")
        }
        let scripts = try treefile.postprocessScripts.map { s -> String in
            guard FS.kind(s) == .regular else { throw AptOstreeError(.invalidArgument, "\(path): postprocess script \(s) does not exist") }
            return try FileText.read(s)
        }
        return Loaded(treefile: treefile, directory: dir, scriptTexts: scripts)
    }

    /// Parses manifest text; `source` names it in errors.
    public static func parse(_ text: String, source: String) throws -> Treefile {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw AptOstreeError(.invalidArgument, "\(source): not valid YAML: \(oneLine("\(error)"))")
        }
        guard let node else { throw AptOstreeError(.invalidArgument, "\(source): the manifest is empty") }
        return try Treefile(json: try json(node, source: source), source: source)
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

    private static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: { $0 == "\n" }).map(\.trimmingSpaces).joined(separator: " ")
    }
}
