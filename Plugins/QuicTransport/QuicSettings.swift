import PluginAPI

/// The `settings` of the quic transport in plugins.yaml, validated, with defaults.
struct QuicSettings: Sendable {
    /// The local UDP address to listen and dial from, "IPv4:port" or "[IPv6]:port" (port 0: any).
    var bind = "0.0.0.0:0"
    /// A connection with no traffic for this long is closed.
    var idleTimeoutMs = 30_000
    /// A PING is sent after this much quiet so an idle but healthy connection stays open.
    var keepaliveMs = 10_000
    /// A dial attempt whose handshake has not finished by then fails.
    var handshakeTimeoutMs = 10_000
    /// Bytes a stream may hold queued (sent but unacknowledged, or not yet sent) before write() accepts fewer.
    /// With the stream window it bounds a stream's rate to about this many bytes per round trip
    /// (1 MiB at 50 ms: 20 MB/s), and it is what a sending stream costs in memory.
    var sendBufferBytes = 1 << 20
    /// Receive credit per stream: how far the peer may send ahead of what the host consumed.
    var streamWindowBytes = 1 << 20
    /// Receive credit per connection, over all its streams.
    var connectionWindowBytes = 16 << 20
    /// How many streams the peer may have open at once.
    var maxStreams = 1024
    /// The largest UDP payload sent; Path MTU discovery probes up to it.
    var maxUDPPayload = 1452
    /// The UDP payload sent to a loopback address: no path to probe, and larger packets cost less
    /// CPU per byte (crypto, acknowledgements and bookkeeping are per packet).
    var loopbackUDPPayload = 16_384
    /// The socket send and receive buffer size.
    var socketBufferBytes = 4 << 20
    /// Incoming connections accepted at most (handshaking ones included).
    var maxConnections = 1024
    /// Congestion control: "cubic", "bbr" or "reno".
    var congestionControl = "cubic"
    /// TEST ONLY. Lets a dial accept a server that shows an X.509 certificate instead of proving the
    /// dialed node's key, and reports the dialed id as the peer. Never enable this outside tests.
    var insecureAcceptX509ForTests = false

    static let known: Set<String> = [
        "bind", "idle_timeout_ms", "keepalive_ms", "handshake_timeout_ms", "send_buffer_bytes",
        "stream_window_bytes", "connection_window_bytes", "max_streams", "max_udp_payload",
        "loopback_udp_payload", "socket_buffer_bytes", "max_connections", "congestion_control", "insecure_accept_x509_for_tests",
    ]

    init() {}

    init(_ settings: PluginSettings) throws {
        try settings.rejectUnknownKeys(Self.known)
        bind = try settings.string("bind") ?? bind
        guard SocketAddress(text: bind) != nil else {
            throw PluginFailure(CSYNC_ERR_INVALID, "setting 'bind' must be \"IPv4:port\" or \"[IPv6]:port\", not '\(bind)'")
        }
        idleTimeoutMs = try Self.number(settings, "idle_timeout_ms", idleTimeoutMs, 100...3_600_000)
        keepaliveMs = try Self.number(settings, "keepalive_ms", keepaliveMs, 0...3_600_000)
        handshakeTimeoutMs = try Self.number(settings, "handshake_timeout_ms", handshakeTimeoutMs, 100...600_000)
        sendBufferBytes = try Self.number(settings, "send_buffer_bytes", sendBufferBytes, 64 << 10...256 << 20)
        streamWindowBytes = try Self.number(settings, "stream_window_bytes", streamWindowBytes, 64 << 10...256 << 20)
        connectionWindowBytes = try Self.number(settings, "connection_window_bytes", connectionWindowBytes, 64 << 10...1 << 30)
        maxStreams = try Self.number(settings, "max_streams", maxStreams, 1...1 << 20)
        maxUDPPayload = try Self.number(settings, "max_udp_payload", maxUDPPayload, 1200...65_000)
        loopbackUDPPayload = try Self.number(settings, "loopback_udp_payload", loopbackUDPPayload, 1200...DatagramBuffers.largestBatch)
        socketBufferBytes = try Self.number(settings, "socket_buffer_bytes", socketBufferBytes, 64 << 10...256 << 20)
        maxConnections = try Self.number(settings, "max_connections", maxConnections, 1...1 << 20)
        congestionControl = try settings.string("congestion_control") ?? congestionControl
        guard ["cubic", "bbr", "reno"].contains(congestionControl) else {
            throw PluginFailure(CSYNC_ERR_INVALID, "setting 'congestion_control' must be cubic, bbr or reno, not '\(congestionControl)'")
        }
        insecureAcceptX509ForTests = try settings.bool("insecure_accept_x509_for_tests") ?? false
    }

    private static func number(_ settings: PluginSettings, _ key: String, _ fallback: Int,
                               _ range: ClosedRange<Int>) throws -> Int {
        guard let value = try settings.int(key) else { return fallback }
        guard range.contains(value) else {
            throw PluginFailure(CSYNC_ERR_INVALID, "setting '\(key)' must be within \(range.lowerBound)...\(range.upperBound), not \(value)")
        }
        return value
    }
}
