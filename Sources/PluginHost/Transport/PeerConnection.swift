import CPluginAPI
import Synchronization

/// An authenticated connection to one peer node, shared by all streams to it.
public final class PeerConnection: Sendable, CustomStringConvertible {
    /// The plugin's handle for the connection.
    public let id: UInt64
    /// The node id the peer proved in the handshake.
    public let peer: NodeID
    /// Where the peer was when the connection opened, "IPv4:port" or "[IPv6]:port".
    public let remoteAddress: String
    /// True if the peer dialed this node.
    public let incoming: Bool
    let transport: PeerTransport
    private let ending: Mutex<(code: Int32, reason: String)?>

    init(id: UInt64, peer: NodeID, remoteAddress: String, incoming: Bool, transport: PeerTransport) {
        self.id = id
        self.peer = peer
        self.remoteAddress = remoteAddress
        self.incoming = incoming
        self.transport = transport
        self.ending = Mutex(nil)
    }

    public var description: String { "connection \(id) to node \(peer.short) at \(remoteAddress)" }

    /// Whether the connection has ended.
    public var isClosed: Bool { ending.withLock { $0 != nil } }

    /// The error streams and calls get once the connection has ended, or nil while it is open.
    var closedError: TransportError? {
        ending.withLock { ending in ending.map { .connectionClosed(peer: peer, code: $0.code, reason: $0.reason) } }
    }

    func markClosed(code: Int32, reason: String) {
        ending.withLock { if $0 == nil { $0 = (code, reason) } }
    }

    /// Opens a stream tagged with `protocol` (at most 255 bytes of UTF-8); the peer's handler for
    /// that protocol receives it.
    public func openStream(protocol name: String) async throws -> PeerStream {
        if let error = closedError { throw error }
        return try transport.openStream(on: self, protocolName: name)
    }

    /// Round-trip time and byte counters, read from the plugin.
    public func info() throws -> ConnectionInfo {
        if let error = closedError { throw error }
        guard !transport.isStopped else {
            throw TransportError.connectionClosed(peer: peer, code: CSYNC_ERR_CLOSED.rawValue, reason: "the transport shut down")
        }
        var raw = csync_connection_info()
        raw.struct_size = UInt32(MemoryLayout<csync_connection_info>.size)
        let status = transport.vtable.connection_info(transport.state, id, &raw)
        guard status == CSYNC_OK else {
            throw closedError ?? TransportError.plugin(operation: "connection_info", status: status.rawValue, message: "")
        }
        let address = withUnsafeBytes(of: &raw.remote_addr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return ConnectionInfo(peer: peer, remoteAddress: address, rttMicroseconds: raw.rtt_us,
                              bytesSent: raw.bytes_sent, bytesReceived: raw.bytes_received)
    }

    /// Closes the connection with an application code and reason; the peer sees both. Its streams fail.
    public func close(code: UInt64 = 0, reason: String = "") {
        guard !transport.isStopped else { return }
        _ = transport.vtable.close_connection(transport.state, id, code, reason)
    }
}
