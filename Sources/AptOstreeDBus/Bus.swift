import AptOstreeModel
import CGio
import CGioShims

/// Calls a GLib function that reports failure through `GError **`, and throws an
/// `AptOstreeError`: a remote `org.debian.aptostree1.Error.*` keeps its code, anything else
/// is `failed`, with `context` in front.
@discardableResult
public func gioCall<T>(_ context: String?, _ body: (UnsafeMutablePointer<UnsafeMutablePointer<GError>?>) -> T) throws -> T {
    var error: UnsafeMutablePointer<GError>? = nil
    let result = body(&error)
    guard let error else { return result }
    defer { g_error_free(error) }
    var code = AptOstreeError.Code.failed
    if g_dbus_error_is_remote_error(error) != 0, let name = g_dbus_error_get_remote_error(error) {
        let n = String(cString: name)
        g_free(name)
        if let c = AptOstreeError.Code.allCases.first(where: { $0.dbusName == n }) { code = c }
        _ = g_dbus_error_strip_remote_error(error)
    }
    let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
    throw AptOstreeError(code, context.map { "\($0): \(message)" } ?? message)
}

/// A D-Bus connection (GDBusConnection).
public final class Bus: @unchecked Sendable {
    /// The connection.
    public let connection: OpaquePointer

    init(adopting c: OpaquePointer) { connection = c }

    deinit { g_object_unref(UnsafeMutableRawPointer(connection)) }

    /// The system bus (`DBUS_SYSTEM_BUS_ADDRESS` when set), as a private connection so a
    /// failure or close never affects other users in the process. A bus-activated service
    /// (`starter: true`) connects to the bus that started it (`DBUS_STARTER_ADDRESS`).
    public static func system(starter: Bool = false) throws -> Bus {
        func env(_ name: String) -> String? {
            guard let v = getenv(name), v.pointee != 0 else { return nil }
            return String(cString: v)
        }
        let address = (starter ? env("DBUS_STARTER_ADDRESS") : nil) ?? env("DBUS_SYSTEM_BUS_ADDRESS")
            ?? "unix:path=/run/dbus/system_bus_socket"
        let flags = GDBusConnectionFlags(rawValue: G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT.rawValue
                                         | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION.rawValue)
        let c = try gioCall("Connecting to the system bus") {
            g_dbus_connection_new_for_address_sync(address, flags, nil, nil, $0)
        }
        guard let c else { throw AptOstreeError(.failed, "Connecting to the system bus: no connection") }
        g_dbus_connection_set_exit_on_close(c, 0)
        return Bus(adopting: c)
    }

    /// Calls a method and returns its reply (owned by the caller; `g_variant_unref`).
    /// `parameters` is a floating tuple (or nil for none).
    public func call(_ destination: String, _ path: String, _ interface: String, _ method: String,
                     _ parameters: OpaquePointer? = nil, replyType: String? = nil,
                     autoStart: Bool = true, timeoutMs: Int32 = -1) throws -> OpaquePointer {
        let flags = autoStart ? G_DBUS_CALL_FLAGS_NONE : G_DBUS_CALL_FLAGS_NO_AUTO_START
        let replyVT = replyType.map { g_variant_type_new($0)! }
        defer { replyVT.map { g_variant_type_free($0) } }
        let r = try gioCall(nil) {
            g_dbus_connection_call_sync(connection, destination, path, interface, method, parameters,
                                        replyVT, flags, timeoutMs, nil, $0)
        }
        guard let r else { throw AptOstreeError(.failed, "\(method): no reply") }
        return r
    }

    /// Reads a property through org.freedesktop.DBus.Properties.Get, as JSON.
    public func property(_ destination: String, _ path: String, _ interface: String, _ name: String,
                         autoStart: Bool = true) throws -> JSONValue {
        let r = try call(destination, path, "org.freedesktop.DBus.Properties", "Get",
                         aot_tuple_ss(interface, name), replyType: "(v)", autoStart: autoStart)
        defer { g_variant_unref(r) }
        let child = g_variant_get_child_value(r, 0)!
        defer { g_variant_unref(child) }
        return VariantCodec.json(child)
    }

    /// Subscribes to every signal `sender` emits on `path`; the handler gets the member name
    /// and the parameters as JSON. Signals are delivered on the calling thread's main context.
    public func subscribe(sender: String, path: String, _ handler: @escaping (String, JSONValue) -> Void) -> UInt32 {
        let box = Unmanaged.passRetained(SignalBox(handler)).toOpaque()
        return g_dbus_connection_signal_subscribe(
            connection, sender, nil, nil, path, nil, G_DBUS_SIGNAL_FLAGS_NONE,
            { _, _, _, _, member, params, userData in
                let box = Unmanaged<SignalBox>.fromOpaque(userData!).takeUnretainedValue()
                box.handler(member.map { String(cString: $0) } ?? "", params.map { VariantCodec.json($0) } ?? .null)
            },
            box,
            { userData in Unmanaged<SignalBox>.fromOpaque(userData!).release() })
    }

    /// Ends a subscription.
    public func unsubscribe(_ id: UInt32) {
        g_dbus_connection_signal_unsubscribe(connection, id)
    }
}

final class SignalBox {
    let handler: (String, JSONValue) -> Void
    init(_ h: @escaping (String, JSONValue) -> Void) { handler = h }
}

/// The first string of a reply tuple.
public func replyString(_ reply: OpaquePointer, _ index: Int = 0) -> String? {
    aot_tuple_get_string(reply, gsize(index)).map { String(cString: $0) }
}
