import CLibOSTree
import COSTreeShims

/// A GKeyFile: the format of a deployment's origin file.
public final class KeyFile: @unchecked Sendable {
    let pointer: OpaquePointer

    /// An empty key file.
    public init() { pointer = g_key_file_new() }

    /// Adopts a key file reference the caller owns.
    init(adopting p: OpaquePointer) { pointer = p }

    /// Takes a new reference to a borrowed key file.
    init(retaining p: OpaquePointer) { pointer = g_key_file_ref(p) }

    /// Parses keyfile text; throws with GLib's message (line and reason), after `context`,
    /// on bad input.
    public convenience init(parsing text: String, context: String = "Parsing origin") throws {
        self.init()
        try withGError(context) { err in
            g_key_file_load_from_data(pointer, text, gsize(text.utf8.count), G_KEY_FILE_KEEP_COMMENTS, err)
        }
    }

    deinit { g_key_file_unref(pointer) }

    /// A deep copy, so edits never touch the deployment's own origin.
    public func copy() throws -> KeyFile {
        try KeyFile(parsing: text)
    }

    /// The keyfile as text.
    public var text: String {
        takeString(g_key_file_to_data(pointer, nil, nil)) ?? ""
    }

    /// The string at group/key, or nil when either is absent.
    public func string(_ group: String, _ key: String) -> String? {
        takeString(g_key_file_get_string(pointer, group, key, nil))
    }

    /// The list at group/key (`a;b;c`), or [] when absent.
    public func stringList(_ group: String, _ key: String) -> [String] {
        takeStrv(aot_key_file_get_string_list(pointer, group, key))
    }

    /// The boolean at group/key, or nil when absent or not a boolean.
    public func bool(_ group: String, _ key: String) -> Bool? {
        guard hasKey(group, key) else { return nil }
        var err: UnsafeMutablePointer<GError>? = nil
        let v = g_key_file_get_boolean(pointer, group, key, &err)
        if let err { g_error_free(err); return nil }
        return v != 0
    }

    /// Whether group/key exists.
    public func hasKey(_ group: String, _ key: String) -> Bool {
        g_key_file_has_key(pointer, group, key, nil) != 0
    }

    /// Sets group/key to a string.
    public func set(_ group: String, _ key: String, _ value: String) {
        g_key_file_set_string(pointer, group, key, value)
    }

    /// Sets group/key to a list, or removes the key when the list is empty.
    public func set(_ group: String, _ key: String, list: [String]) {
        if list.isEmpty { remove(group, key); return }
        withStrv(list) { strv in
            strv.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: list.count + 1) {
                aot_key_file_set_string_list(pointer, group, key, $0)
            }
        }
    }

    /// Sets group/key to a boolean.
    public func set(_ group: String, _ key: String, bool: Bool) {
        g_key_file_set_boolean(pointer, group, key, bool ? 1 : 0)
    }

    /// Removes group/key if present.
    public func remove(_ group: String, _ key: String) {
        _ = g_key_file_remove_key(pointer, group, key, nil)
    }
}
