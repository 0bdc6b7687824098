import CLibOSTree

/// Owns one reference to a GObject and drops it on deinit.
public class GObjectRef: @unchecked Sendable {
    /// The object, as GLib's untyped pointer.
    public let raw: gpointer

    /// Adopts a reference the caller already owns (a `transfer full` return value).
    public init(adopting raw: gpointer) {
        self.raw = raw
    }

    /// Takes a new reference to an object borrowed from elsewhere (`transfer none`).
    public init(retaining raw: gpointer) {
        self.raw = g_object_ref(raw)
    }

    deinit { g_object_unref(raw) }

    /// The object as the typed pointer a libostree function expects.
    func typed<T>(_: T.Type = T.self) -> OpaquePointer { OpaquePointer(raw) }
}

/// A GFile for a local path.
final class GFileRef: GObjectRef, @unchecked Sendable {
    init(path: String) {
        super.init(adopting: UnsafeMutableRawPointer(g_file_new_for_path(path)))
    }
    var pointer: OpaquePointer { OpaquePointer(raw) }
}
