import AptOstreeModel
import OSTreeKit

extension AptOstreeError {
    /// Maps a libostree/GLib error into the closed set: GIO's NOT_FOUND stays notFound,
    /// everything else is a failure; the message keeps libostree's own context.
    public static func from(_ error: Error, context: String? = nil) -> AptOstreeError {
        let base: AptOstreeError
        switch error {
        case let e as AptOstreeError: base = e
        case is PullCancelled: base = AptOstreeError(.cancelled, "Cancelled")
        case let e as GLibError: base = AptOstreeError(e.isNotFound ? .notFound : .failed, e.message)
        default: base = AptOstreeError(.failed, "\(error)")
        }
        // A cancellation reads the same wherever it stopped the work.
        if base.code == .cancelled { return base }
        return context.map { base.prefixed($0) } ?? base
    }
}

/// Runs `body`, turning any error into an `AptOstreeError` with `context` in front.
func withContext<T>(_ context: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw AptOstreeError.from(error, context: context) }
}
