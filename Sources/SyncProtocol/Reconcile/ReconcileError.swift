/// A reconcile message that is well-formed but does not fit this side's state: the peer is
/// buggy or its set changed mid-session. Abort the session and start a new one.
public struct ReconcileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { "set reconciliation failed: \(reason); abort this sync session and start a new one" }
}
