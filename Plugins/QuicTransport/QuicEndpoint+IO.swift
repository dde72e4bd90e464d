import CNgtcp2
import CQuicShims
import PluginAPI
#if canImport(Glibc)
import Glibc
#endif

/// What to send when a connection ends.
enum CloseAction {
    case silent
    case application(UInt64, String)
    case library(Int32)
    case tlsAlert(UInt8)
}

extension QuicEndpoint {
    /// The I/O thread: wait for datagrams, wake-ups or the next ngtcp2 timer; feed ngtcp2; write
    /// what it has to send; then, without the lock, make the queued host callbacks.
    func runLoop() {
        quic_shim_set_timer_slack(1_000)
        var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        var busy = false
        while true {
            if !busy {
                let timeout = lock.withLock { nextTimeout() }
                fds[0].revents = 0
                fds[1].revents = 0
                _ = quic_shim_ppoll(&fds, 2, timeout)
                if fds[1].revents != 0 { quic_shim_eventfd_drain(wakeFD) }
            }
            wakePending.store(false, ordering: .releasing)
            lock.lock()
            guard running else {
                lock.unlock()
                return
            }
            let now = quic_shim_now_ns()
            let received = receiveBatch(now: now)
            serveTimers(now: now)
            serveLivenessChecks(now: now)
            writeAll(now: now)
            let batch = events
            events = []
            pendingData.removeAll(keepingCapacity: true)
            busy = received == DatagramBuffers.receiveSlots
            lock.unlock()
            for event in batch { event.deliver(to: host) }
            recycle(batch)
        }
    }

    /// Keeps delivered receive buffers for the next pass (the host copied what it keeps).
    private func recycle(_ batch: [HostEvent]) {
        for event in batch {
            guard case .data(_, let received) = event, spareReceived.count < 64,
                  received.bytes.capacity <= Self.maxCoalescedBytes * 2 else { continue }
            received.bytes.removeAll(keepingCapacity: true)
            received.fin = false
            spareReceived.append(received)
        }
    }

    /// Nanoseconds until the earliest ngtcp2 timer (-1: none).
    private func nextTimeout() -> Int64 {
        var earliest = UInt64.max
        for connection in connections.values where !connection.closed {
            earliest = min(earliest, ngtcp2_conn_get_expiry(connection.conn))
            if connection.livenessDeadline != 0 { earliest = min(earliest, connection.livenessDeadline) }
        }
        guard earliest != .max else { return 1_000_000_000 }
        let now = quic_shim_now_ns()
        return earliest <= now ? 0 : Int64(min(earliest - now, 1_000_000_000))
    }

    // MARK: Receiving

    private func receiveBatch(now: UInt64) -> Int {
        let count = Int(quic_shim_recv_batch(socket, io.receive, io.slotSize, DatagramBuffers.receiveSlots, io.lengths,
                                             io.segments, io.addresses, io.addressLengths))
        guard count > 0 else { return 0 }
        for index in 0..<count where io.lengths[index] > 0 {
            let from = SocketAddress(UnsafeRawPointer(io.addresses + index).assumingMemoryBound(to: sockaddr.self),
                                     length: io.addressLengths[index])
            let message = io.receive + index * io.slotSize
            let length = io.lengths[index]
            let segment = max(1, io.segments[index])
            var offset = 0
            while offset < length {
                let size = min(segment, length - offset)
                handleDatagram(message + offset, size, from: from, now: now)
                offset += size
            }
        }
        afterPackets()
        return count
    }

    private func handleDatagram(_ data: UnsafeMutablePointer<UInt8>, _ length: Int, from: SocketAddress, now: UInt64) {
        var header = ngtcp2_version_cid()
        let rv = ngtcp2_pkt_decode_version_cid(&header, data, length, QuicConnection.cidLength)
        if rv == NGTCP2_ERR_VERSION_NEGOTIATION {
            sendVersionNegotiation(header, to: from)
            return
        }
        guard rv == 0, let dcid = header.dcid else { return }
        if let connection = routes[ConnectionIDKey(dcid, count: header.dcidlen)] {
            feed(connection, data, length, from: from, now: now)
        } else if data[0] & 0x80 != 0 {
            accept(data, length, from: from, now: now)
        } else {
            // An unknown short-header packet is either a stateless reset for one of our connections to
            // that address, or a packet for a connection we no longer know: then we reset it.
            let candidates = connections.values.filter { $0.established && !$0.closed && $0.remoteAddress == from }
            if candidates.isEmpty {
                sendStatelessReset(dcid, header.dcidlen, triggerLength: length, to: from, now: now)
            } else {
                for connection in candidates { feed(connection, data, length, from: from, now: now) }
            }
        }
    }

    private func accept(_ data: UnsafeMutablePointer<UInt8>, _ length: Int, from: SocketAddress, now: UInt64) {
        var header = ngtcp2_pkt_hd()
        guard ngtcp2_accept(&header, data, length) == 0 else { return }
        let accepted = connections.values.lazy.filter { !$0.isClient }.count
        guard accepted < settings.maxConnections else {
            log(CSYNC_LOG_WARNING, "quic: refused a connection from \(from.text): max_connections (\(settings.maxConnections)) reached")
            return
        }
        do {
            let connection = try QuicConnection(server: self, handle: makeHandle(), header: header, remote: from, now: now)
            register(connection)
            feed(connection, data, length, from: from, now: now)
        } catch {
            log(CSYNC_LOG_WARNING, "quic: cannot accept a connection from \(from.text): \(error)")
        }
    }

    func register(_ connection: QuicConnection) {
        connections[connection.handle] = connection
        for id in connection.routingIDs { routes[id] = connection }
    }

    private func feed(_ connection: QuicConnection, _ data: UnsafeMutablePointer<UInt8>, _ length: Int,
                      from: SocketAddress, now: UInt64) {
        guard !connection.closed else { return }
        connection.bytesReceived += UInt64(length)
        var local = localAddress
        var remote = from
        let rv = withUnsafeMutablePointer(to: &local.storage) { localStorage in
            withUnsafeMutablePointer(to: &remote.storage) { remoteStorage in
                localStorage.withMemoryRebound(to: sockaddr.self, capacity: 1) { localPointer in
                    remoteStorage.withMemoryRebound(to: sockaddr.self, capacity: 1) { remotePointer in
                        var path = ngtcp2_path(local: ngtcp2_addr(addr: localPointer, addrlen: local.length),
                                               remote: ngtcp2_addr(addr: remotePointer, addrlen: remote.length),
                                               user_data: nil)
                        var info = ngtcp2_pkt_info()
                        return ngtcp2_conn_read_pkt_versioned(connection.conn, &path, NGTCP2_PKT_INFO_VERSION, &info,
                                                              data, length, now)
                    }
                }
            }
        }
        if rv != 0 {
            readFailed(connection, rv)
            return
        }
        if connection.handshakeCompleted && !connection.established {
            connection.established = true
            connection.establishedAt = now
            if settings.keepaliveMs > 0 {
                ngtcp2_conn_set_keep_alive_timeout(connection.conn, UInt64(settings.keepaliveMs) * NGTCP2_MILLISECONDS)
            }
            adopt(connection)
        }
        if connection.moreStreamsAllowed && !connection.closed { connection.openWaitingStreams() }
    }

    private func readFailed(_ connection: QuicConnection, _ rv: Int32) {
        switch rv {
        case NGTCP2_ERR_DRAINING:
            let (code, reason) = peerCloseReason(connection)
            terminate(connection, code: code, reason: reason, close: .silent)
        case NGTCP2_ERR_DROP_CONN, NGTCP2_ERR_RETRY:
            terminate(connection, code: CSYNC_ERR_IO.rawValue, reason: "connection dropped: \(errorText(rv))", close: .silent)
        case NGTCP2_ERR_CRYPTO:
            let alert = ngtcp2_conn_get_tls_alert(connection.conn)
            let reason = connection.verifyFailure ?? "TLS handshake failed (alert \(alert))"
            terminate(connection, code: CSYNC_ERR_IO.rawValue, reason: reason, close: .tlsAlert(alert))
        case NGTCP2_ERR_RECV_VERSION_NEGOTIATION:
            terminate(connection, code: CSYNC_ERR_IO.rawValue, reason: "the peer does not speak QUIC version 1", close: .silent)
        default:
            terminate(connection, code: CSYNC_ERR_IO.rawValue, reason: "QUIC error: \(errorText(rv))", close: .library(rv))
        }
    }

    /// The code and reason to report for a connection the peer ended: its application code when it
    /// closed deliberately, CSYNC_ERR_CLOSED otherwise.
    private func peerCloseReason(_ connection: QuicConnection) -> (Int32, String) {
        let closed = CSYNC_ERR_CLOSED.rawValue
        if connection.statelessResetReceived { return (closed, "the peer reset the connection (stateless reset: it lost its state)") }
        var error = ngtcp2_connection_close_error()
        ngtcp2_conn_get_connection_close_error(connection.conn, &error)
        let text = error.reason.map { String(decoding: UnsafeBufferPointer(start: $0, count: error.reasonlen), as: UTF8.self) } ?? ""
        if error.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION {
            return (Int32(truncatingIfNeeded: error.error_code), "closed by the peer (code \(error.error_code))" + (text.isEmpty ? "" : ": \(text)"))
        }
        if error.error_code == 0 { return (0, "closed by the peer" + (text.isEmpty ? "" : ": \(text)")) }
        if error.error_code >= 0x100 && error.error_code < 0x200 {
            return (closed, connection.isClient && !connection.established
                ? "the server refused the handshake (TLS alert \(error.error_code - 0x100); wrong node id or ALPN?)"
                : "the peer refused the handshake (TLS alert \(error.error_code - 0x100))")
        }
        return (closed, "closed by the peer with transport error 0x\(String(error.error_code, radix: 16))" + (text.isEmpty ? "" : ": \(text)"))
    }

    func errorText(_ rv: Int32) -> String { String(cString: ngtcp2_strerror(rv)) }

    /// Work ngtcp2 callbacks asked for but could not do themselves.
    private func afterPackets() {
        guard shutdownsPending else { return }
        shutdownsPending = false
        for connection in connections.values where !connection.closed {
            for stream in connection.streams.values {
                if let code = stream.pendingShutdownCode {
                    stream.pendingShutdownCode = nil
                    _ = ngtcp2_conn_shutdown_stream(connection.conn, stream.id, code)
                    connection.releaseCredit(of: stream)
                }
            }
        }
    }

    // MARK: Timers

    private func serveTimers(now: UInt64) {
        for connection in Array(connections.values) where !connection.closed {
            guard ngtcp2_conn_get_expiry(connection.conn) <= now else { continue }
            let rv = ngtcp2_conn_handle_expiry(connection.conn, now)
            switch rv {
            case 0: break
            case NGTCP2_ERR_IDLE_CLOSE:
                terminate(connection, code: CSYNC_ERR_CLOSED.rawValue,
                          reason: "idle timeout: nothing heard from the peer for \(settings.idleTimeoutMs) ms", close: .silent)
            case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
                terminate(connection, code: CSYNC_ERR_IO.rawValue,
                          reason: "no handshake within \(settings.handshakeTimeoutMs) ms (is a can-sync node listening there?)",
                          close: .silent)
            default:
                terminate(connection, code: CSYNC_ERR_IO.rawValue, reason: "QUIC timer error: \(errorText(rv))", close: .library(rv))
            }
        }
    }

    // MARK: Sending

    private func writeAll(now: UInt64) {
        for connection in connections.values where !connection.closed {
            writeConnection(connection, now: now)
        }
    }

    /// Writes packets until ngtcp2 has nothing more or the pacer's quantum is used, serving the
    /// streams round-robin, and sends them in GSO batches of equal-size datagrams.
    func writeConnection(_ connection: QuicConnection, now: UInt64) {
        guard let conn = connection.conn else { return }
        let maxPayload = ngtcp2_conn_get_path_max_tx_udp_payload_size(conn)
        let quantum = ngtcp2_conn_get_send_quantum(conn)
        let maxPackets = max(1, min(io.sendCapacity / maxPayload, quantum / maxPayload))
        var batchLength = 0
        var segment = 0
        var batchRemote = SocketAddress()
        var packets = 0
        var guardCount = 0
        while packets < maxPackets && guardCount < 100_000 {
            guardCount += 1
            var stream: QuicStream?
            while let first = connection.sendQueue.first {
                if first.dead || first.flowBlocked || !first.hasSomethingToSend {
                    connection.dequeue(first)
                } else {
                    stream = first
                    break
                }
            }
            var vectorCount = 0
            var offered = 0
            var flags = UInt32(NGTCP2_WRITE_STREAM_FLAG_MORE)
            if let stream {
                vectorCount = stream.send.fillVectors(io.vectors, capacity: DatagramBuffers.vectorCount)
                for index in 0..<vectorCount { offered += io.vectors[index].len }
                if stream.finRequested && !stream.finSent && offered == stream.send.unsent {
                    flags |= UInt32(NGTCP2_WRITE_STREAM_FLAG_FIN)
                }
            }
            var accepted: ngtcp2_ssize = -1
            var info = ngtcp2_pkt_info()
            let written = ngtcp2_conn_writev_stream_versioned(
                conn, connection.pathPointer, NGTCP2_PKT_INFO_VERSION, &info, io.send + batchLength, maxPayload,
                &accepted, flags, stream?.id ?? -1, vectorCount > 0 ? io.vectors : nil, vectorCount, now)
            if written < 0 {
                switch Int32(written) {
                case NGTCP2_ERR_WRITE_MORE:
                    if let stream { account(stream, accepted: accepted, offered: offered, flags: flags, in: connection) }
                    continue
                case NGTCP2_ERR_STREAM_DATA_BLOCKED:
                    stream?.flowBlocked = true
                    if let stream { connection.dequeue(stream) }
                    continue
                case NGTCP2_ERR_STREAM_SHUT_WR, NGTCP2_ERR_STREAM_NOT_FOUND:
                    if let stream {
                        stream.dead = stream.dead || stream.finSent
                        connection.dequeue(stream)
                    }
                    continue
                default:
                    flush(connection, length: batchLength, segment: segment, to: batchRemote)
                    terminate(connection, code: CSYNC_ERR_IO.rawValue, reason: "QUIC write error: \(errorText(Int32(written)))",
                              close: .library(Int32(written)))
                    return
                }
            }
            if let stream, accepted >= 0 {
                account(stream, accepted: accepted, offered: offered, flags: flags, in: connection)
            }
            if written == 0 { break }
            let size = Int(written)
            let remote = remoteOfPath(connection)
            if batchLength > 0 && (size > segment || remote != batchRemote) {
                // GSO needs equal-size datagrams to one address: send what came before, then start anew.
                flush(connection, length: batchLength, segment: segment, to: batchRemote)
                (io.send).update(from: io.send + batchLength, count: size)
                batchLength = 0
            }
            if batchLength == 0 {
                segment = size
                batchRemote = remote
            }
            batchLength += size
            packets += 1
            if size < segment || batchLength + maxPayload > io.sendCapacity {
                flush(connection, length: batchLength, segment: segment, to: batchRemote)
                batchLength = 0
            }
        }
        flush(connection, length: batchLength, segment: segment, to: batchRemote)
        // Pacing starts with the handshake done: paced from the 333 ms initial RTT estimate, the
        // client's first Initial would hold back the first stream bytes by ~25 ms.
        if connection.established { ngtcp2_conn_update_pkt_tx_time(conn, now) }
    }

    private func account(_ stream: QuicStream, accepted: ngtcp2_ssize, offered: Int, flags: UInt32, in connection: QuicConnection) {
        if accepted > 0 { stream.send.markSent(accepted) }
        if flags & UInt32(NGTCP2_WRITE_STREAM_FLAG_FIN) != 0 && accepted == offered { stream.finSent = true }
        connection.dequeue(stream)
        if stream.hasSomethingToSend && !stream.flowBlocked { connection.enqueue(stream) }
    }

    private func remoteOfPath(_ connection: QuicConnection) -> SocketAddress {
        let remote = connection.pathPointer.pointee.remote
        guard let address = remote.addr else { return connection.firstRemote }
        return SocketAddress(address, length: remote.addrlen)
    }

    private func flush(_ connection: QuicConnection, length: Int, segment: Int, to remote: SocketAddress) {
        guard length > 0 else { return }
        var remote = remote
        let sent = withUnsafePointer(to: &remote.storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                quic_shim_send_batch(socket, io.send, length, segment, $0, remote.length)
            }
        }
        // A full socket buffer drops the rest: QUIC loss recovery resends it, like any lost datagram.
        if sent > 0 { connection.bytesSent += UInt64(sent) }
    }

    func sendControl(_ length: Int, to remote: SocketAddress) {
        guard length > 0 else { return }
        var remote = remote
        _ = withUnsafePointer(to: &remote.storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                quic_shim_send_batch(socket, io.control, length, length, $0, remote.length)
            }
        }
    }

    private func sendVersionNegotiation(_ header: ngtcp2_version_cid, to remote: SocketAddress) {
        guard let dcid = header.dcid, let scid = header.scid else { return }
        var versions: [UInt32] = [NGTCP2_PROTO_VER_V1]
        let written = ngtcp2_pkt_write_version_negotiation(
            io.control, DatagramBuffers.controlSize, UInt8.random(in: 0...255), scid, header.scidlen, dcid, header.dcidlen,
            &versions, versions.count)
        if written > 0 { sendControl(Int(written), to: remote) }
    }

    private func sendStatelessReset(_ dcid: UnsafePointer<UInt8>, _ dcidLength: Int, triggerLength: Int,
                                    to remote: SocketAddress, now: UInt64) {
        // Smaller than the trigger so two endpoints cannot loop; rate-limited against reflection.
        let length = min(triggerLength - 1, 64)
        let randomLength = length - 1 - Int(NGTCP2_STATELESS_RESET_TOKENLEN)
        guard randomLength >= Int(NGTCP2_MIN_STATELESS_RESET_RANDLEN), dcidLength == QuicConnection.cidLength,
              now - lastStatelessReset > 1_000_000 else { return }
        lastStatelessReset = now
        var cid = ngtcp2_cid()
        ngtcp2_cid_init(&cid, dcid, dcidLength)
        var token = [UInt8](repeating: 0, count: Int(NGTCP2_STATELESS_RESET_TOKENLEN))
        statelessResetToken(for: cid, into: &token)
        var random = [UInt8](repeating: 0, count: randomLength)
        for index in random.indices { random[index] = UInt8.random(in: 0...255) }
        let written = ngtcp2_pkt_write_stateless_reset(io.control, DatagramBuffers.controlSize, &token, &random, randomLength)
        if written > 0 { sendControl(Int(written), to: remote) }
    }

    private func statelessResetToken(for cid: ngtcp2_cid, into token: inout [UInt8]) {
        token.withUnsafeMutableBufferPointer { statelessResetToken(for: cid, into: $0.baseAddress!) }
    }

    // MARK: Ending connections

    /// Ends a connection: optionally sends CONNECTION_CLOSE, tells the host about its streams and
    /// itself (if it knew of it), lets a dial learn that an attempt failed, and frees it.
    func terminate(_ connection: QuicConnection, code: Int32, reason: String, close action: CloseAction,
                   notify: Bool = true) {
        guard !connection.closed else { return }
        connection.closed = true
        log(CSYNC_LOG_DEBUG, "quic: connection \(connection.handle) with \(connection.firstRemote.text) ended: \(reason)")
        if let conn = connection.conn, ngtcp2_conn_is_in_draining_period(conn) == 0,
           ngtcp2_conn_is_in_closing_period(conn) == 0 {
            var error = ngtcp2_connection_close_error()
            var send = true
            switch action {
            case .silent: send = false
            case .application(let code, let text):
                let bytes = Array(text.utf8.prefix(200))
                bytes.withUnsafeBufferPointer { ngtcp2_connection_close_error_set_application_error(&error, code, $0.baseAddress, $0.count) }
            case .library(let rv):
                ngtcp2_connection_close_error_set_transport_error_liberr(&error, rv, nil, 0)
            case .tlsAlert(let alert):
                ngtcp2_connection_close_error_set_transport_error_tls_alert(&error, alert, nil, 0)
            }
            if send {
                var info = ngtcp2_pkt_info()
                let written = ngtcp2_conn_write_connection_close_versioned(
                    conn, connection.pathPointer, NGTCP2_PKT_INFO_VERSION, &info, io.control, DatagramBuffers.controlSize,
                    &error, quic_shim_now_ns())
                if written > 0 { sendControl(Int(written), to: remoteOfPath(connection)) }
            }
        }
        let tellHost = notify && connection.reported
        for stream in Array(connection.streams.values) + connection.waitingForID {
            if tellHost && !stream.dead && !stream.awaitingHeader {
                events.append(.reset(stream: stream.handle, code: UInt64(bitPattern: Int64(code))))
            }
            stream.dead = true
            streams[stream.handle] = nil
        }
        for id in connection.routingIDs where routes[id] === connection { routes[id] = nil }
        connections[connection.handle] = nil
        if let peer = connection.peerID, byPeer[peer] === connection { byPeer[peer] = nil }
        if connection.reported && notify {
            events.append(.closed(connection: connection.handle, code: code, reason: reason))
        }
        if connection.isClient && !connection.reported { attemptFailed(connection, reason: reason) }
        if let newcomer = connection.challenger { promote(newcomer, replacing: connection) }
        if let old = connection.challenged { old.challenger = nil }
        connection.destroy()
        wake()
    }
}
