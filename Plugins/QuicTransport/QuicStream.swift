/// One bidirectional stream as the plugin tracks it: its handle for the host, its QUIC id
/// (assigned once the peer's stream limit allows), send queue, and the tag header state.
final class QuicStream {
    /// The opaque stream handle the host sees; unique across connections.
    let handle: UInt64
    unowned let connection: QuicConnection
    /// The QUIC stream id, or -1 while waiting for the peer to allow another stream.
    var id: Int64 = -1
    let send: SendBuffer
    /// The host asked to finish sending once the buffer drains.
    var finRequested = false
    var finSent = false
    /// A write() accepted fewer bytes than asked: call stream_writable when space frees up.
    var wantsWritable = false
    /// Queued in the connection's round-robin send list.
    var queued = false
    /// Blocked by the peer's stream flow control until it grants more.
    var flowBlocked = false
    /// The host has been told the stream ended (reset) or abandoned it: no more callbacks.
    var dead = false
    /// The peer finished its side (FIN delivered).
    var receiveFinished = false
    /// Bytes delivered to the host that it has not consumed yet.
    var unconsumed = 0
    /// For streams the peer opened: the tag header is still being read.
    var awaitingHeader: Bool
    /// The tag header received so far: one length byte, then that many bytes of name.
    var header: [UInt8] = []
    /// Shutdown requested inside an ngtcp2 callback, carried out after it returns.
    var pendingShutdownCode: UInt64?

    init(handle: UInt64, connection: QuicConnection, remote: Bool) {
        self.handle = handle
        self.connection = connection
        self.awaitingHeader = remote
        self.send = SendBuffer(pool: connection.endpoint.chunkPool)
    }

    /// The whole tag header has arrived; false while it is empty or short of its length byte's count.
    var headerComplete: Bool {
        guard let length = header.first else { return false }
        return header.count == Int(length) + 1
    }

    var hasSomethingToSend: Bool {
        send.unsent > 0 || (finRequested && !finSent)
    }
}
