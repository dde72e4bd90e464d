import CPluginAPI

/// Why a transport operation failed. Every case says which peer, connection or stream it concerns.
public enum TransportError: Error, CustomStringConvertible, Equatable, Sendable {
    /// connect(to:) reached none of the peer's addresses, or no address proved the peer's key.
    case dialFailed(peer: NodeID, reason: String)
    /// The connection ended (closed by either side, idle timeout, or error).
    case connectionClosed(peer: NodeID, code: Int32, reason: String)
    /// The peer abandoned the stream, or it died with its connection.
    case streamReset(stream: UInt64, code: UInt64)
    /// The plugin refused a call.
    case plugin(operation: String, status: Int32, message: String)

    public var description: String {
        switch self {
        case .dialFailed(let peer, let reason):
            "could not connect to node \(peer.short): \(reason)"
        case .connectionClosed(let peer, let code, let reason):
            "connection to node \(peer.short) closed (code \(code)): \(reason)"
        case .streamReset(let stream, let code):
            "stream \(stream) was reset (code \(code))"
        case .plugin(let operation, let status, let message):
            "transport plugin \(operation) failed (status \(status))" + (message.isEmpty ? "" : ": \(message)")
        }
    }
}
