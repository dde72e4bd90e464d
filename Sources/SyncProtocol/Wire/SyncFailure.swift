/// Why a side aborts a sync stream, sent to the peer before closing it.
public struct SyncFailure: Equatable, Sendable, CustomStringConvertible {
    /// A machine-readable reason; unknown codes from newer peers are kept as they are.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// This node does not hold the library named in the hello.
        public static let unknownLibrary = Code(rawValue: 1)
        /// The capability proof did not verify.
        public static let authenticationFailed = Code(rawValue: 2)
        /// A message was malformed or out of order.
        public static let protocolViolation = Code(rawValue: 3)
        /// A sync session for this library with this peer is already running.
        public static let busy = Code(rawValue: 4)
        /// The sender failed internally (its store, for instance).
        public static let internalError = Code(rawValue: 5)
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "peer aborted sync (code \(code.rawValue)): \(message)" }
}
