import AptOstreeModel
import CGio
import CGioShims

/// Converts between `JSONValue` and GVariant. Objects become `a{sv}`, string arrays `as`,
/// arrays of objects `aa{sv}`, other arrays `av`; null has no GVariant and is left out
/// of dictionaries.
public enum VariantCodec {
    /// A new floating GVariant for `value`.
    public static func variant(_ value: JSONValue) -> OpaquePointer {
        switch value {
        case .null: return withVariantType("s") { g_variant_new_maybe($0, nil) }
        case .bool(let b): return g_variant_new_boolean(b ? 1 : 0)
        case .int(let i): return g_variant_new_int64(gint64(i))
        case .double(let d): return g_variant_new_double(d)
        case .string(let s): return g_variant_new_string(s)
        case .object(let o): return dictionary(o)
        case .array(let a):
            if a.allSatisfy({ $0.stringValue != nil }) {
                var b = GVariantBuilder()
                withVariantType("as") { g_variant_builder_init(&b, $0) }
                for v in a { g_variant_builder_add_value(&b, g_variant_new_string(v.stringValue!)) }
                return g_variant_builder_end(&b)
            }
            if !a.isEmpty, a.allSatisfy({ if case .object = $0 { return true }; return false }) {
                var b = GVariantBuilder()
                withVariantType("aa{sv}") { g_variant_builder_init(&b, $0) }
                for v in a { if case .object(let o) = v { g_variant_builder_add_value(&b, dictionary(o)) } }
                return g_variant_builder_end(&b)
            }
            var b = GVariantBuilder()
            withVariantType("av") { g_variant_builder_init(&b, $0) }
            for v in a { g_variant_builder_add_value(&b, g_variant_new_variant(variant(v))) }
            return g_variant_builder_end(&b)
        }
    }

    /// A new floating `a{sv}`.
    public static func dictionary(_ o: [String: JSONValue]) -> OpaquePointer {
        var b = GVariantBuilder()
        withVariantType("a{sv}") { g_variant_builder_init(&b, $0) }
        for k in o.keys.sorted() where o[k]! != .null {
            g_variant_builder_add_value(&b, g_variant_new_dict_entry(g_variant_new_string(k), g_variant_new_variant(variant(o[k]!))))
        }
        return g_variant_builder_end(&b)
    }

    /// The JSON value of a GVariant (borrowed).
    public static func json(_ v: OpaquePointer) -> JSONValue {
        let t = String(cString: g_variant_get_type_string(v))
        switch t {
        case "b": return .bool(g_variant_get_boolean(v) != 0)
        case "y": return .int(Int64(g_variant_get_byte(v)))
        case "n": return .int(Int64(g_variant_get_int16(v)))
        case "q": return .int(Int64(g_variant_get_uint16(v)))
        case "i": return .int(Int64(g_variant_get_int32(v)))
        case "u": return .int(Int64(g_variant_get_uint32(v)))
        case "x": return .int(Int64(g_variant_get_int64(v)))
        case "t": return .int(Int64(truncatingIfNeeded: g_variant_get_uint64(v)))
        case "d": return .double(g_variant_get_double(v))
        case "s", "o", "g": return .string(String(cString: g_variant_get_string(v, nil)))
        case "v":
            let inner = g_variant_get_variant(v)!
            defer { g_variant_unref(inner) }
            return json(inner)
        default:
            if t.hasPrefix("m") {
                guard let inner = g_variant_get_maybe(v) else { return .null }
                defer { g_variant_unref(inner) }
                return json(inner)
            }
            if t.hasPrefix("a{") {
                var o: [String: JSONValue] = [:]
                for i in 0..<g_variant_n_children(v) {
                    let entry = g_variant_get_child_value(v, i)!
                    let k = g_variant_get_child_value(entry, 0)!
                    let val = g_variant_get_child_value(entry, 1)!
                    if let key = (json(k).stringValue) { o[key] = json(val) }
                    g_variant_unref(k); g_variant_unref(val); g_variant_unref(entry)
                }
                return .object(o)
            }
            var a: [JSONValue] = []
            for i in 0..<g_variant_n_children(v) {
                let c = g_variant_get_child_value(v, i)!
                a.append(json(c))
                g_variant_unref(c)
            }
            return .array(a)
        }
    }
}

/// Calls `body` with a GVariantType for `typeString` that lives for the call (a pointer to
/// a Swift string's bytes would not: GDBus reads the type after the conversion ends).
public func withVariantType<R>(_ typeString: String, _ body: (OpaquePointer) -> R) -> R {
    let t = g_variant_type_new(typeString)!
    defer { g_variant_type_free(t) }
    return body(t)
}
