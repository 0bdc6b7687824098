/// The one error type of apt-ostree. Its codes are a closed set that maps 1:1 onto the
/// D-Bus error names `org.debian.aptostree1.Error.*`, and onto exit codes.
public struct AptOstreeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The closed set of error kinds.
    public enum Code: String, Sendable, CaseIterable {
        case failed = "Failed"
        case notAuthorized = "NotAuthorized"
        case transactionInProgress = "TransactionInProgress"
        case invalidArgument = "InvalidArgument"
        case notFound = "NotFound"
        case conflict = "Conflict"
        case cancelled = "Cancelled"

        /// The D-Bus error name.
        public var dbusName: String { "org.debian.aptostree1.Error.\(rawValue)" }
    }

    /// What kind of failure.
    public let code: Code
    /// The message with its context chain: `Deploying 1.2: Resolving ...: not found`.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The same error with `context: ` in front.
    public func prefixed(_ context: String) -> AptOstreeError {
        AptOstreeError(code, "\(context): \(message)")
    }

    public var description: String { message }
}
