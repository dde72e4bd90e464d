/// Bytes from a peer or a user that do not parse: says what was being read, at which byte
/// offset, and what was wrong. Decoders throw this instead of trapping on any input.
public struct WireFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was being decoded, e.g. "sync entry" or "reconcile message".
    public var context: String
    /// The byte offset into the decoded buffer where the problem was found.
    public var offset: Int
    public var reason: String

    public init(_ context: String, offset: Int, _ reason: String) {
        self.context = context
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "malformed \(context) at byte \(offset): \(reason)" }
}
