import CLibOSTree

/// A GLib error turned into a Swift error: GLib's domain, code and message, with the context
/// the caller added ("Loading sysroot: ...").
public struct GLibError: Error, CustomStringConvertible, Sendable {
    /// The error domain's name, e.g. `g-io-error-quark`.
    public let domain: String
    /// The code within the domain.
    public let code: Int32
    /// The message, with every context prefix added so far.
    public let message: String

    /// Makes an error by hand (for preconditions checked in Swift).
    public init(domain: String = "apt-ostree", code: Int32 = 0, message: String) {
        self.domain = domain
        self.code = code
        self.message = message
    }

    /// Whether this is `G_IO_ERROR_NOT_FOUND`.
    public var isNotFound: Bool { domain == "g-io-error-quark" && code == Int32(G_IO_ERROR_NOT_FOUND.rawValue) }

    public var description: String { message }

    /// The same error with `context: ` put in front of the message.
    public func prefixed(_ context: String) -> GLibError {
        GLibError(domain: domain, code: code, message: "\(context): \(message)")
    }
}

/// Calls a GLib-style function that reports failure through a `GError **` and returns
/// whether it succeeded, and turns a set error into a thrown `GLibError`.
///
/// This is the one place where a `GError` becomes a Swift error (SwiftNIO's `syscall` idea).
@discardableResult
public func withGError<T>(_ context: String? = nil,
                          _ body: (UnsafeMutablePointer<UnsafeMutablePointer<GError>?>) -> T) throws -> T {
    var error: UnsafeMutablePointer<GError>? = nil
    let result = body(&error)
    if let error {
        defer { g_error_free(error) }
        let domain = String(cString: g_quark_to_string(error.pointee.domain))
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
        let e = GLibError(domain: domain, code: error.pointee.code, message: message)
        throw context.map { e.prefixed($0) } ?? e
    }
    if let ok = result as? gboolean, ok == 0 {
        let e = GLibError(message: "operation failed without an error message")
        throw context.map { e.prefixed($0) } ?? e
    }
    return result
}

/// Takes ownership of a `char *` that GLib allocated, returning it as a Swift string.
func takeString(_ p: UnsafeMutablePointer<CChar>?) -> String? {
    guard let p else { return nil }
    defer { g_free(p) }
    return String(cString: p)
}

/// Takes ownership of a NULL-terminated `char **` that GLib allocated.
func takeStrv(_ p: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
    guard let p else { return [] }
    defer { g_strfreev(p) }
    return borrowStrv(p)
}

/// Reads a NULL-terminated `char **` without taking ownership.
func borrowStrv(_ p: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
    guard let p else { return [] }
    var out: [String] = []
    var i = 0
    while let s = p[i] {
        out.append(String(cString: s))
        i += 1
    }
    return out
}

/// Calls `body` with a NULL-terminated `char **` copy of `strings` that lives for the call.
func withStrv<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws -> R) rethrows -> R {
    let buf = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: strings.count + 1)
    for (i, s) in strings.enumerated() { buf[i] = g_strdup(s) }
    buf[strings.count] = nil
    defer {
        for i in 0..<strings.count { g_free(buf[i]) }
        buf.deallocate()
    }
    return try body(buf)
}
