import CNgtcp2
import PluginAPI
#if canImport(Glibc)
import Glibc
#endif

/// One QUIC connection: the ngtcp2 state machine, its GnuTLS session and its streams.
/// Every method runs with the endpoint lock held (the I/O thread or a vtable function).
final class QuicConnection {
    static let cidLength = 18

    unowned let endpoint: QuicEndpoint
    /// The opaque connection handle the host sees.
    let handle: UInt64
    let isClient: Bool
    /// The node id a dial expects the server to prove.
    let expectedPeer: [UInt8]?
    private(set) var conn: OpaquePointer!
    private var session: gnutls_session_t?
    private let connRef: UnsafeMutablePointer<ngtcp2_crypto_conn_ref>
    /// The path ngtcp2 writes each outgoing packet's addresses into; it points into itself, so it lives on the heap.
    let pathStorage: UnsafeMutablePointer<ngtcp2_path_storage>
    /// The address the first packet came from or went to.
    let firstRemote: SocketAddress

    var peerID: [UInt8]?
    var verifyFailure: String?
    var streams: [Int64: QuicStream] = [:]
    /// Streams opened by the host while the peer's stream limit was reached.
    var waitingForID: [QuicStream] = []
    /// Streams with bytes or a FIN to send, served round-robin so concurrent streams share fairly.
    var sendQueue: [QuicStream] = []
    /// Connection ids that route datagrams to this connection.
    var routingIDs: [ConnectionIDKey] = []
    var handshakeCompleted = false
    var established = false
    /// When the handshake finished (CLOCK_MONOTONIC ns).
    var establishedAt: UInt64 = 0
    /// When the dial started or the first Initial arrived (CLOCK_MONOTONIC ns).
    let createdAt: UInt64
    /// A liveness check in progress on this (older) connection: the newcomer waiting on its outcome,
    /// the bytes received when it began, and when it gives up (0: none).
    var challenger: QuicConnection?
    var livenessBaseline: UInt64 = 0
    var livenessDeadline: UInt64 = 0
    /// The older connection this held newcomer waits on.
    weak var challenged: QuicConnection?
    /// connection_opened was reported: connection_closed must follow.
    var reported = false
    /// Established, but kept back while a simultaneous dial decides which connection stays.
    var held = false
    var closed = false
    var statelessResetReceived = false
    var moreStreamsAllowed = false
    var bytesSent: UInt64 = 0
    var bytesReceived: UInt64 = 0
    /// Stream events that arrived before the host was told about the connection (the peer may
    /// open streams in the packet that completes the handshake); they follow connection_opened.
    var heldEvents: [HostEvent] = []

    var pathPointer: UnsafeMutablePointer<ngtcp2_path> {
        UnsafeMutableRawPointer(pathStorage).assumingMemoryBound(to: ngtcp2_path.self)
    }

    static func from(_ pointer: UnsafeMutableRawPointer) -> QuicConnection {
        Unmanaged<QuicConnection>.fromOpaque(pointer).takeUnretainedValue()
    }

    private var userData: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    /// A dialing connection to `remote` that must prove `expectedPeer`.
    init(client endpoint: QuicEndpoint, handle: UInt64, remote: SocketAddress, expectedPeer: [UInt8], now: UInt64) throws {
        self.endpoint = endpoint
        self.handle = handle
        self.isClient = true
        self.expectedPeer = expectedPeer
        self.firstRemote = remote
        self.createdAt = now
        connRef = .allocate(capacity: 1)
        pathStorage = .allocate(capacity: 1)
        Self.initializePath(pathStorage, local: endpoint.localAddress, remote: remote)
        do {
            var dcid = ngtcp2_cid()
            var scid = ngtcp2_cid()
            Self.randomCID(&dcid)
            Self.randomCID(&scid)
            var settings = endpoint.ngtcp2Settings(now: now, remote: remote)
            var params = endpoint.transportParams()
            var callbacks = Self.callbacks(client: true)
            var path = pathStorage.pointee.path
            var created: OpaquePointer?
            let rv = ngtcp2_conn_client_new_versioned(
                &created, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1, NGTCP2_CALLBACKS_VERSION, &callbacks,
                NGTCP2_SETTINGS_VERSION, &settings, NGTCP2_TRANSPORT_PARAMS_VERSION, &params, nil, userData)
            guard rv == 0, let created else { throw Self.failure("ngtcp2_conn_client_new", rv) }
            conn = created
            routingIDs.append(ConnectionIDKey(scid))
            try attachSession(client: true, insecureX509: endpoint.settings.insecureAcceptX509ForTests)
        } catch {
            destroy()
            throw error
        }
    }

    /// An accepted connection for the client Initial described by `header`.
    init(server endpoint: QuicEndpoint, handle: UInt64, header: ngtcp2_pkt_hd, remote: SocketAddress, now: UInt64) throws {
        self.endpoint = endpoint
        self.handle = handle
        self.isClient = false
        self.expectedPeer = nil
        self.firstRemote = remote
        self.createdAt = now
        connRef = .allocate(capacity: 1)
        pathStorage = .allocate(capacity: 1)
        Self.initializePath(pathStorage, local: endpoint.localAddress, remote: remote)
        do {
            var header = header
            var scid = ngtcp2_cid()
            Self.randomCID(&scid)
            var settings = endpoint.ngtcp2Settings(now: now, remote: remote)
            var params = endpoint.transportParams()
            params.original_dcid = header.dcid
            params.stateless_reset_token_present = 1
            endpoint.statelessResetToken(for: scid, into: &params.stateless_reset_token)
            var callbacks = Self.callbacks(client: false)
            var path = pathStorage.pointee.path
            var created: OpaquePointer?
            let rv = ngtcp2_conn_server_new_versioned(
                &created, &header.scid, &scid, &path, header.version, NGTCP2_CALLBACKS_VERSION, &callbacks,
                NGTCP2_SETTINGS_VERSION, &settings, NGTCP2_TRANSPORT_PARAMS_VERSION, &params, nil, userData)
            guard rv == 0, let created else { throw Self.failure("ngtcp2_conn_server_new", rv) }
            conn = created
            routingIDs.append(ConnectionIDKey(scid))
            // Retransmitted client Initials still carry the id the client picked.
            routingIDs.append(ConnectionIDKey(header.dcid))
            try attachSession(client: false, insecureX509: false)
        } catch {
            destroy()
            throw error
        }
    }

    private func attachSession(client: Bool, insecureX509: Bool) throws {
        connRef.initialize(to: ngtcp2_crypto_conn_ref(
            get_conn: { ref in QuicConnection.from(ref!.pointee.user_data!).conn },
            user_data: userData))
        session = try endpoint.identity.makeSession(client: client, insecureX509: insecureX509, connRef: connRef)
        ngtcp2_conn_set_tls_native_handle(conn, UnsafeMutableRawPointer(session))
    }

    /// Frees ngtcp2 and GnuTLS state. The connection must be out of every table first.
    func destroy() {
        for stream in streams.values { stream.send.release() }
        for stream in waitingForID { stream.send.release() }
        streams = [:]
        waitingForID = []
        sendQueue = []
        if let conn { ngtcp2_conn_del(conn) }
        conn = nil
        if let session { gnutls_deinit(session) }
        session = nil
        connRef.deallocate()
        pathStorage.deallocate()
    }

    /// The address the peer is reached at now (it may have migrated).
    var remoteAddress: SocketAddress {
        guard let conn, let path = ngtcp2_conn_get_path(conn), let address = path.pointee.remote.addr else {
            return firstRemote
        }
        return SocketAddress(address, length: path.pointee.remote.addrlen)
    }

    /// The GnuTLS verify hook: pins the dialed node id, or learns the client's.
    func verifyPeer(_ session: gnutls_session_t) -> Int32 {
        if let key = TLSIdentity.peerRawKey(session) {
            if let expectedPeer {
                guard key == expectedPeer else {
                    verifyFailure = "the server proved node id \(Hex.encode(key)), not the dialed \(Hex.encode(expectedPeer))"
                    return -1
                }
            }
            peerID = key
            return 0
        }
        if isClient, endpoint.settings.insecureAcceptX509ForTests, TLSIdentity.peerShowsX509(session) {
            peerID = expectedPeer
            return 0
        }
        verifyFailure = "the peer did not present an Ed25519 raw public key"
        return -1
    }

    // MARK: Streams

    func enqueue(_ stream: QuicStream) {
        guard !stream.queued, stream.id >= 0, !stream.dead else { return }
        stream.queued = true
        sendQueue.append(stream)
    }

    func dequeue(_ stream: QuicStream) {
        guard stream.queued else { return }
        stream.queued = false
        sendQueue.removeAll { $0 === stream }
    }

    /// Gives waiting streams QUIC ids now that the peer allows more.
    func openWaitingStreams() {
        moreStreamsAllowed = false
        while let stream = waitingForID.first {
            var id: Int64 = -1
            guard ngtcp2_conn_open_bidi_stream(conn, &id, nil) == 0 else { return }
            waitingForID.removeFirst()
            stream.id = id
            streams[id] = stream
            if stream.hasSomethingToSend { enqueue(stream) }
        }
    }

    /// Returns connection-level credit held by a stream's unconsumed bytes: nobody will consume them now.
    func releaseCredit(of stream: QuicStream) {
        if stream.unconsumed > 0, let conn {
            ngtcp2_conn_extend_max_offset(conn, UInt64(stream.unconsumed))
            stream.unconsumed = 0
        }
    }

    // MARK: ngtcp2 plumbing

    private static func initializePath(_ storage: UnsafeMutablePointer<ngtcp2_path_storage>, local: SocketAddress,
                                       remote: SocketAddress) {
        storage.initialize(to: ngtcp2_path_storage())
        var local = local
        var remote = remote
        withUnsafePointer(to: &local.storage) { localPointer in
            withUnsafePointer(to: &remote.storage) { remotePointer in
                localPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { localAddress in
                    remotePointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { remoteAddress in
                        ngtcp2_path_storage_init(storage, localAddress, local.length, remoteAddress, remote.length, nil)
                    }
                }
            }
        }
    }

    static func randomCID(_ cid: inout ngtcp2_cid) {
        cid.datalen = cidLength
        withUnsafeMutableBytes(of: &cid.data) { raw in
            _ = gnutls_rnd(GNUTLS_RND_RANDOM, raw.baseAddress, cidLength)
        }
    }

    static func failure(_ call: String, _ rv: Int32) -> PluginFailure {
        PluginFailure(CSYNC_ERR_INTERNAL, "\(call) failed: \(String(cString: ngtcp2_strerror(rv)))")
    }

    private static func callbacks(client: Bool) -> ngtcp2_callbacks {
        var callbacks = ngtcp2_callbacks()
        if client {
            callbacks.client_initial = ngtcp2_crypto_client_initial_cb
            callbacks.recv_retry = ngtcp2_crypto_recv_retry_cb
        } else {
            callbacks.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb
        }
        callbacks.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb
        callbacks.encrypt = ngtcp2_crypto_encrypt_cb
        callbacks.decrypt = ngtcp2_crypto_decrypt_cb
        callbacks.hp_mask = ngtcp2_crypto_hp_mask_cb
        callbacks.update_key = ngtcp2_crypto_update_key_cb
        callbacks.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb
        callbacks.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb
        callbacks.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb
        callbacks.version_negotiation = ngtcp2_crypto_version_negotiation_cb
        callbacks.rand = { destination, length, _ in
            _ = gnutls_rnd(GNUTLS_RND_RANDOM, destination, length)
        }
        callbacks.get_new_connection_id = { _, cid, token, length, user in
            guard let cid, let token, let user else { return NGTCP2_ERR_CALLBACK_FAILURE }
            let connection = QuicConnection.from(user)
            cid.pointee.datalen = length
            withUnsafeMutableBytes(of: &cid.pointee.data) { raw in
                _ = gnutls_rnd(GNUTLS_RND_RANDOM, raw.baseAddress, length)
            }
            connection.endpoint.statelessResetToken(for: cid.pointee, into: token)
            connection.endpoint.route(ConnectionIDKey(cid.pointee), to: connection)
            return 0
        }
        callbacks.remove_connection_id = { _, cid, user in
            guard let cid, let user else { return 0 }
            QuicConnection.from(user).endpoint.unroute(ConnectionIDKey(cid.pointee))
            return 0
        }
        callbacks.handshake_completed = { _, user in
            QuicConnection.from(user!).handshakeCompleted = true
            return 0
        }
        callbacks.recv_stateless_reset = { _, _, user in
            QuicConnection.from(user!).statelessResetReceived = true
            return 0
        }
        callbacks.extend_max_local_streams_bidi = { _, _, user in
            QuicConnection.from(user!).moreStreamsAllowed = true
            return 0
        }
        callbacks.stream_open = { _, id, user in
            QuicConnection.from(user!).remoteOpened(id)
            return 0
        }
        callbacks.recv_stream_data = { _, flags, id, _, data, length, user, _ in
            QuicConnection.from(user!).received(id, data, length, fin: flags & NGTCP2_STREAM_DATA_FLAG_FIN != 0)
            return 0
        }
        callbacks.acked_stream_data_offset = { _, id, offset, length, user, _ in
            QuicConnection.from(user!).acknowledged(id, upTo: offset + length)
            return 0
        }
        callbacks.extend_max_stream_data = { _, id, _, user, _ in
            let connection = QuicConnection.from(user!)
            if let stream = connection.streams[id], stream.flowBlocked {
                stream.flowBlocked = false
                if stream.hasSomethingToSend { connection.enqueue(stream) }
            }
            return 0
        }
        callbacks.stream_reset = { _, id, _, code, user, _ in
            QuicConnection.from(user!).peerAbandoned(id, code: code)
            return 0
        }
        callbacks.stream_stop_sending = { _, id, code, user, _ in
            QuicConnection.from(user!).peerAbandoned(id, code: code)
            return 0
        }
        callbacks.stream_close = { _, flags, id, code, user, _ in
            QuicConnection.from(user!).streamClosed(id, code: flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET != 0 ? code : nil)
            return 0
        }
        return callbacks
    }

    // MARK: Stream callbacks

    private func remoteOpened(_ id: Int64) {
        // Only bidirectional streams can be opened: the transport parameters allow no unidirectional ones.
        let stream = QuicStream(handle: endpoint.makeHandle(), connection: self, remote: true)
        stream.id = id
        streams[id] = stream
        endpoint.streams[stream.handle] = stream
    }

    private func received(_ id: Int64, _ data: UnsafePointer<UInt8>?, _ length: Int, fin: Bool) {
        guard let stream = streams[id] else {
            extendCredit(id, length)
            return
        }
        var bytes = UnsafeBufferPointer(start: data, count: length)
        if stream.awaitingHeader {
            var taken = 0
            while taken < bytes.count, !stream.headerComplete {
                stream.header.append(bytes[taken])
                taken += 1
            }
            extendCredit(id, taken)
            bytes = UnsafeBufferPointer(rebasing: bytes[taken...])
            guard stream.headerComplete else {
                // The peer ended the stream before its tag was complete (possibly with no bytes at
                // all): the host never hears of it.
                if fin { abandon(stream, code: 1) }
                return
            }
            stream.awaitingHeader = false
            let name = String(decoding: stream.header[1...], as: UTF8.self)
            emit(.streamOpened(connection: handle, stream: stream.handle, protocolName: name))
        }
        guard !stream.dead else {
            extendCredit(id, bytes.count)
            return
        }
        stream.unconsumed += bytes.count
        if fin { stream.receiveFinished = true }
        if reported {
            endpoint.deliver(stream: stream.handle, bytes, fin: fin)
        } else {
            let received = ReceivedBytes(capacity: bytes.count)
            received.bytes.append(contentsOf: bytes)
            received.fin = fin
            heldEvents.append(.data(stream: stream.handle, received))
        }
    }

    /// Queues a stream event for the host, or holds it until the connection is reported.
    private func emit(_ event: HostEvent) {
        if reported { endpoint.events.append(event) } else { heldEvents.append(event) }
    }

    private func extendCredit(_ id: Int64, _ count: Int) {
        guard count > 0 else { return }
        ngtcp2_conn_extend_max_stream_offset(conn, id, UInt64(count))
        ngtcp2_conn_extend_max_offset(conn, UInt64(count))
    }

    /// Ends a stream the host will not hear about again; the shutdown happens after the callback.
    private func abandon(_ stream: QuicStream, code: UInt64) {
        stream.dead = true
        stream.pendingShutdownCode = code
        endpoint.shutdownsPending = true
    }

    private func acknowledged(_ id: Int64, upTo offset: UInt64) {
        guard let stream = streams[id] else { return }
        stream.send.acknowledge(upTo: offset)
        if stream.wantsWritable, !stream.dead, stream.send.buffered <= endpoint.settings.sendBufferBytes / 2 {
            stream.wantsWritable = false
            emit(.writable(stream: stream.handle))
        }
    }

    private func peerAbandoned(_ id: Int64, code: UInt64) {
        guard let stream = streams[id], !stream.dead else { return }
        if !stream.awaitingHeader {
            emit(.reset(stream: stream.handle, code: code))
        }
        dequeue(stream)
        abandon(stream, code: code)
    }

    private func streamClosed(_ id: Int64, code: UInt64?) {
        guard let stream = streams[id] else { return }
        if !stream.dead && !stream.awaitingHeader && (code != nil || !stream.receiveFinished) {
            emit(.reset(stream: stream.handle, code: code ?? 0))
        }
        stream.dead = true
        releaseCredit(of: stream)
        dequeue(stream)
        // ngtcp2 0.12 leaves raising the peer's stream limit to the application.
        let peerOpened = (id & 1 == 1) == isClient
        if peerOpened { ngtcp2_conn_extend_max_streams_bidi(conn, 1) }
        streams[id] = nil
        endpoint.streams[stream.handle] = nil
        stream.send.release()
    }
}
