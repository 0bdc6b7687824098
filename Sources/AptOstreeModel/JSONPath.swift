/// A JSONPath query, as `rpm-ostree status --jsonpath` takes (json-glib's dialect): `$` then
/// `.name`, `['name']`, `[N]` (negative counts from the end), `[a:b]`, `[N,M]`, `*` and `..`
/// (recursive descent). Evaluating returns every match, in document order, as an array.
public struct JSONPath: Sendable {
    enum Selector: Equatable, Sendable {
        case name(String)
        case wildcard
        case indices([Int])
        case slice(Int?, Int?)
    }

    struct Step: Equatable, Sendable {
        var recursive: Bool
        var selector: Selector
    }

    let steps: [Step]

    /// Compiles `expression`; a malformed one throws `invalidArgument` naming the offset.
    public init(_ expression: String) throws {
        var s = Substring(expression)
        func fail(_ why: String) -> AptOstreeError {
            AptOstreeError(.invalidArgument,
                           "While compiling jsonpath: \(why) at offset \(expression.count - s.count) of '\(expression)'")
        }
        guard s.first == "$" else { throw fail("expected '$'") }
        s = s.dropFirst()
        var steps: [Step] = []
        let nameChars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
        while let c = s.first {
            var recursive = false
            if c == "." {
                s = s.dropFirst()
                if s.first == "." { recursive = true; s = s.dropFirst() }
                if s.first == "*" { s = s.dropFirst(); steps.append(Step(recursive: recursive, selector: .wildcard)); continue }
                if s.first == "[" && recursive { /* fall through to the bracket below */ } else {
                    let name = s.prefix(while: { nameChars.contains($0) })
                    guard !name.isEmpty else { throw fail("expected a member name") }
                    s = s.dropFirst(name.count)
                    steps.append(Step(recursive: recursive, selector: .name(String(name))))
                    continue
                }
            }
            guard s.first == "[" else { throw fail("unexpected '\(s.first!)'") }
            s = s.dropFirst()
            guard let close = s.firstIndex(of: "]") else { throw fail("missing ']'") }
            let inner = s[s.startIndex..<close].trimmingSpaces
            s = s[s.index(after: close)...]
            if inner == "*" {
                steps.append(Step(recursive: recursive, selector: .wildcard))
            } else if let q = inner.first, q == "'" || q == "\"" {
                guard inner.count >= 2, inner.last == q else { throw fail("unterminated quoted name") }
                steps.append(Step(recursive: recursive, selector: .name(String(inner.dropFirst().dropLast()))))
            } else if inner.contains(":") {
                let parts = inner.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw fail("bad slice") }
                func bound(_ p: Substring) throws -> Int? {
                    let t = p.trimmingSpaces
                    if t.isEmpty { return nil }
                    guard let v = Int(t) else { throw fail("bad slice bound '\(t)'") }
                    return v
                }
                steps.append(Step(recursive: recursive, selector: .slice(try bound(parts[0]), try bound(parts[1]))))
            } else {
                var idx: [Int] = []
                for part in inner.split(separator: ",") {
                    guard let v = Int(part.trimmingSpaces) else { throw fail("bad index '\(part)'") }
                    idx.append(v)
                }
                guard !idx.isEmpty else { throw fail("empty brackets") }
                steps.append(Step(recursive: recursive, selector: .indices(idx)))
            }
        }
        self.steps = steps
    }

    /// Every value the path selects in `root`, as a JSON array.
    public func evaluate(_ root: JSONValue) -> JSONValue {
        var current = [root]
        for step in steps {
            var next: [JSONValue] = []
            for v in current {
                if step.recursive {
                    JSONPath.descend(v) { next.append(contentsOf: JSONPath.select(step.selector, in: $0)) }
                } else {
                    next.append(contentsOf: JSONPath.select(step.selector, in: v))
                }
            }
            current = next
        }
        return .array(current)
    }

    private static func descend(_ v: JSONValue, _ visit: (JSONValue) -> Void) {
        visit(v)
        switch v {
        case .array(let a): a.forEach { descend($0, visit) }
        case .object(let o): o.keys.sorted().forEach { descend(o[$0]!, visit) }
        default: break
        }
    }

    private static func select(_ sel: Selector, in v: JSONValue) -> [JSONValue] {
        switch (sel, v) {
        case (.name(let n), .object(let o)): return o[n].map { [$0] } ?? []
        case (.wildcard, .object(let o)): return o.keys.sorted().map { o[$0]! }
        case (.wildcard, .array(let a)): return a
        case (.indices(let idx), .array(let a)):
            return idx.compactMap { i in
                let j = i < 0 ? a.count + i : i
                return a.indices.contains(j) ? a[j] : nil
            }
        case (.slice(let lo, let hi), .array(let a)):
            func clamp(_ x: Int?, _ dflt: Int) -> Int {
                guard let x else { return dflt }
                return max(0, min(a.count, x < 0 ? a.count + x : x))
            }
            let l = clamp(lo, 0), h = clamp(hi, a.count)
            return l < h ? Array(a[l..<h]) : []
        default: return []
        }
    }
}

extension Substring {
    /// The text without spaces at either end.
    public var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
