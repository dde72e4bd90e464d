import CNgtcp2
import CQuicShims
import CSodium
import Foundation
import PluginAPI
import Synchronization

/// The transport's state: one UDP socket shared by every connection (dialed or accepted), the
/// connection and stream tables, and the queue of host callbacks. One lock guards it all; the
/// I/O thread takes it to drive ngtcp2 and drops it before calling the host.
final class QuicEndpoint: @unchecked Sendable {
    let host: UnsafePointer<csync_host_api>
    let settings: QuicSettings
    let identity: TLSIdentity
    let lock = PluginLock()
    /// Derives stateless reset tokens from connection ids. It comes from the node key, so a restarted
    /// node can still reset the connections its previous run left behind.
    private let resetSecret: [UInt8]

    var socket: Int32 = -1
    var wakeFD: Int32 = -1
    var localAddress = SocketAddress()
    var running = false
    let wakePending = Atomic<Bool>(false)
    private var ioThread: Thread?
    private let ioStopped = DispatchSemaphore(value: 0)
    /// Set by the I/O thread, so a shutdown requested from one of its own callbacks does not wait for itself.
    static var currentIsIOThread: Bool { Thread.current.threadDictionary["can-sync.quic-io"] != nil }

    var connections: [UInt64: QuicConnection] = [:]
    var routes: [ConnectionIDKey: QuicConnection] = [:]
    var streams: [UInt64: QuicStream] = [:]
    /// The established (reported or held) connection to each peer.
    var byPeer: [[UInt8]: QuicConnection] = [:]
    var dials: [[UInt8]: DialAttempt] = [:]
    var events: [HostEvent] = []
    /// Data events of this pass, so several packets for a stream become one callback.
    var pendingData: [UInt64: ReceivedBytes] = [:]
    var shutdownsPending = false
    private var nextHandle: UInt64 = 1
    var lastStatelessReset: UInt64 = 0
    let io: DatagramBuffers
    let chunkPool: ChunkPool
    /// Receive buffers handed back after their callbacks, reused by the I/O thread (only it touches them).
    var spareReceived: [ReceivedBytes] = []

    init(host: UnsafePointer<csync_host_api>, settings: QuicSettings) throws {
        self.host = host
        self.settings = settings
        guard let id = host.pointee.node_id, let secret = host.pointee.node_secret_key else {
            throw PluginFailure(CSYNC_ERR_INVALID, "the quic transport needs the node's id and secret key from the host")
        }
        let nodeID = Array(UnsafeBufferPointer(start: id, count: 32))
        let secretKey = Array(UnsafeBufferPointer(start: secret, count: 64))
        identity = try TLSIdentity(nodeID: nodeID, secretKey: secretKey)
        var derived = [UInt8](repeating: 0, count: 32)
        let label = Array("can-sync quic stateless reset".utf8)
        crypto_generichash(&derived, 32, secretKey, UInt64(secretKey.count), label, label.count)
        resetSecret = derived
        io = DatagramBuffers()
        chunkPool = ChunkPool(limit: 2 * settings.sendBufferBytes / SendBuffer.chunkSize)
    }

    func makeHandle() -> UInt64 {
        defer { nextHandle += 1 }
        return nextHandle
    }

    // MARK: Lifecycle

    func start() throws {
        try lock.withLock {
            guard !running else { throw PluginFailure(CSYNC_ERR_INVALID, "the quic transport is already started") }
            guard var address = SocketAddress(text: settings.bind) else {
                throw PluginFailure(CSYNC_ERR_INVALID, "setting 'bind' is not an address: \(settings.bind)")
            }
            let fd = withUnsafePointer(to: &address.storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    quic_shim_udp_bind($0, address.length, Int32(settings.socketBufferBytes))
                }
            }
            guard fd >= 0 else {
                throw PluginFailure(CSYNC_ERR_IO, "cannot bind UDP \(settings.bind): \(String(cString: strerror(-fd))) (pick another 'bind' address or port)")
            }
            var bound = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            withUnsafeMutablePointer(to: &bound) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
            }
            localAddress = withUnsafePointer(to: &bound) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0, length: length) }
            }
            let wake = quic_shim_eventfd()
            guard wake >= 0 else {
                close(fd)
                throw PluginFailure(CSYNC_ERR_IO, "eventfd failed: \(String(cString: strerror(-wake)))")
            }
            socket = fd
            wakeFD = wake
            running = true
            log(CSYNC_LOG_INFO, "quic: listening on UDP \(localAddress.text) as node \(Hex.encode(identity.nodeID)) (ALPN \(TLSIdentity.alpn))")
        }
        let thread = Thread { [self] in
            Thread.current.threadDictionary["can-sync.quic-io"] = true
            runLoop()
            ioStopped.signal()
        }
        thread.name = "quic-io"
        thread.stackSize = 1 << 20
        ioThread = thread
        thread.start()
    }

    func shutdown() {
        let wasRunning = lock.withLock {
            defer { running = false }
            return running
        }
        guard wasRunning else { return }
        wake()
        if !Self.currentIsIOThread { ioStopped.wait() }
        lock.withLock {
            for connection in Array(connections.values) {
                terminate(connection, code: 0, reason: "transport shut down", close: .application(0, "shutting down"), notify: false)
            }
            close(socket)
            close(wakeFD)
            socket = -1
            wakeFD = -1
        }
    }

    /// Wakes the I/O thread: there is something to send or a callback to make.
    func wake() {
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) && wakeFD >= 0 {
            quic_shim_eventfd_signal(wakeFD)
        }
    }

    // MARK: Addresses

    func localAddressList() -> [String] {
        let address = lock.withLock { localAddress }
        guard address.length > 0 else { return [] }
        guard address.isUnspecified else { return [address.text] }
        return InterfaceAddresses.list(family: address.family, port: address.port)
    }

    // MARK: Routing

    func route(_ id: ConnectionIDKey, to connection: QuicConnection) {
        routes[id] = connection
        connection.routingIDs.append(id)
    }

    func unroute(_ id: ConnectionIDKey) {
        routes[id] = nil
    }

    func statelessResetToken(for cid: ngtcp2_cid, into token: UnsafeMutablePointer<UInt8>) {
        var cid = cid
        _ = resetSecret.withUnsafeBufferPointer { secret in
            ngtcp2_crypto_generate_stateless_reset_token(token, secret.baseAddress, secret.count, &cid)
        }
    }

    func statelessResetToken<Tuple>(for cid: ngtcp2_cid, into token: inout Tuple) {
        withUnsafeMutableBytes(of: &token) { raw in
            statelessResetToken(for: cid, into: raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    // MARK: ngtcp2 configuration

    /// ngtcp2's settings for a connection to `remote`; towards this host's own loopback the payload
    /// size is fixed at `loopback_udp_payload` instead of probed.
    func ngtcp2Settings(now: UInt64, remote: SocketAddress) -> ngtcp2_settings {
        var result = ngtcp2_settings()
        ngtcp2_settings_default_versioned(NGTCP2_SETTINGS_VERSION, &result)
        result.initial_ts = now
        result.handshake_timeout = UInt64(settings.handshakeTimeoutMs) * NGTCP2_MILLISECONDS
        result.max_tx_udp_payload_size = settings.maxUDPPayload
        if remote.isLoopback {
            result.max_tx_udp_payload_size = settings.loopbackUDPPayload
            result.no_tx_udp_payload_size_shaping = 1
            result.no_pmtud = 1
        }
        if Self.ngtcp2LogRequested { quic_shim_enable_ngtcp2_log(&result) }
        result.cc_algo = switch settings.congestionControl {
        case "bbr": NGTCP2_CC_ALGO_BBR2
        case "reno": NGTCP2_CC_ALGO_RENO
        default: NGTCP2_CC_ALGO_CUBIC
        }
        return result
    }

    /// CAN_SYNC_NGTCP2_LOG=1 in the environment sends ngtcp2's packet log to stderr, for debugging.
    static let ngtcp2LogRequested = ProcessInfo.processInfo.environment["CAN_SYNC_NGTCP2_LOG"] == "1"

    func transportParams() -> ngtcp2_transport_params {
        var params = ngtcp2_transport_params()
        ngtcp2_transport_params_default_versioned(NGTCP2_TRANSPORT_PARAMS_VERSION, &params)
        params.initial_max_stream_data_bidi_local = UInt64(settings.streamWindowBytes)
        params.initial_max_stream_data_bidi_remote = UInt64(settings.streamWindowBytes)
        params.initial_max_data = UInt64(settings.connectionWindowBytes)
        params.initial_max_streams_bidi = UInt64(settings.maxStreams)
        params.initial_max_streams_uni = 0
        params.max_idle_timeout = UInt64(settings.idleTimeoutMs) * NGTCP2_MILLISECONDS
        params.active_connection_id_limit = 4
        return params
    }

    // MARK: Host events

    /// Coalesced callbacks stay below glibc's mmap threshold: larger buffers would be mapped and
    /// unmapped for every callback, page-faulting on each.
    static let maxCoalescedBytes = 64 * 1024

    /// Queues received bytes, merging them into this pass's callback for the stream when there is one.
    func deliver(stream: UInt64, _ bytes: UnsafeBufferPointer<UInt8>, fin: Bool) {
        if let pending = pendingData[stream], !pending.fin,
           pending.bytes.count + bytes.count <= Self.maxCoalescedBytes {
            pending.bytes.append(contentsOf: bytes)
            pending.fin = fin
            return
        }
        let received = bytes.count <= Self.maxCoalescedBytes ? spareReceived.popLast() ?? ReceivedBytes(capacity: Self.maxCoalescedBytes)
            : ReceivedBytes(capacity: bytes.count)
        received.bytes.append(contentsOf: bytes)
        received.fin = fin
        pendingData[stream] = received
        events.append(.data(stream: stream, received))
    }

    /// Queues a log line: the host is never called with the lock held.
    func log(_ level: csync_log_level, _ message: String) {
        events.append(.log(level, message))
    }
}
