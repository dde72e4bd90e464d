/// A change in the set of connected peers, as `PeerTransport.events` reports it.
public enum ConnectionEvent: Sendable {
    /// A handshake finished; the peer proved its node id.
    case opened(PeerConnection)
    /// A connection ended; its streams have failed.
    case closed(PeerConnection, code: Int32, reason: String)
}
