import CNgtcp2
import CQuicShims
import PluginAPI

extension QuicEndpoint {
    /// The application code a connection is closed with when a simultaneous one replaces it.
    static let duplicateConnectionCode: UInt64 = 0x10

    /// Starts a handshake to every candidate address at once; the first to finish wins.
    func dial(_ peer: [UInt8], addresses: [String]) throws {
        guard running else { throw PluginFailure(CSYNC_ERR_INVALID, "the quic transport is not started") }
        guard peer != identity.nodeID else {
            throw PluginFailure(CSYNC_ERR_INVALID, "cannot dial this node's own id \(Hex.encode(peer))")
        }
        defer { wake() }
        if let existing = byPeer[peer], existing.reported {
            events.append(.opened(connection: existing.handle, peer: peer, incoming: !existing.isClient,
                                  address: existing.remoteAddress.text))
            return
        }
        if dials[peer] != nil { return }
        let attempt = DialAttempt(peer: peer)
        let now = quic_shim_now_ns()
        var seen: [SocketAddress] = []
        for text in addresses {
            guard let parsed = SocketAddress(text: text) else {
                attempt.failures.append("\(text): not an \"IPv4:port\" or \"[IPv6]:port\" address")
                continue
            }
            guard let address = parsed.usable(by: localAddress.family) else {
                attempt.failures.append("\(text): unreachable from a socket bound to \(localAddress.text)")
                continue
            }
            guard !seen.contains(address) else { continue }
            seen.append(address)
            do {
                let connection = try QuicConnection(client: self, handle: makeHandle(), remote: address, expectedPeer: peer, now: now)
                register(connection)
                attempt.attempts.insert(connection.handle)
            } catch {
                attempt.failures.append("\(text): \(error)")
            }
        }
        guard !attempt.attempts.isEmpty else {
            let reason = attempt.failures.isEmpty ? "no addresses to dial" : attempt.failures.joined(separator: "; ")
            events.append(.dialFailed(peer: peer, reason: reason))
            return
        }
        dials[peer] = attempt
    }

    /// A connection finished its handshake with a proven peer: keep it, hold it, or drop it so that
    /// each pair of nodes ends with one connection — the one dialed by the lower node id.
    func adopt(_ connection: QuicConnection) {
        guard let peer = connection.peerID else {
            terminate(connection, code: CSYNC_ERR_INTERNAL.rawValue, reason: "handshake finished without a peer key",
                      close: .application(1, "no peer key"))
            return
        }
        if let existing = byPeer[peer], existing !== connection {
            let newWins = wins(connection, over: existing, peer: peer)
            if !newWins, !existing.held, existing.challenger == nil, connection.createdAt > existing.establishedAt {
                challenge(existing, with: connection)
                return
            }
            let (winner, loser) = newWins ? (connection, existing) : (existing, connection)
            byPeer[peer] = winner
            winner.held = false
            terminate(loser, code: Int32(Self.duplicateConnectionCode), reason: "replaced by a simultaneous connection",
                      close: .application(Self.duplicateConnectionCode, "duplicate connection"))
            cancelDial(to: peer, keeping: winner)
            report(winner)
            return
        }
        if connection.isClient { dials[peer]?.attempts.remove(connection.handle) }
        if !connection.isClient, let attempt = dials[peer], !attempt.attempts.isEmpty,
           identity.nodeID.lexicographicallyPrecedes(peer) {
            // Our own dial would win the tie-break: wait for it before telling the host anything.
            connection.held = true
            byPeer[peer] = connection
            return
        }
        byPeer[peer] = connection
        cancelDial(to: peer, keeping: connection)
        report(connection)
    }

    /// Of two connections to one peer that raced, the one dialed by the lower node id stays; if the
    /// same node dialed both, the newer one stays (the peer reconnected).
    private func wins(_ new: QuicConnection, over old: QuicConnection, peer: [UInt8]) -> Bool {
        let lower = identity.nodeID.lexicographicallyPrecedes(peer) ? identity.nodeID : peer
        let newDialer = new.isClient ? identity.nodeID : peer
        let oldDialer = old.isClient ? identity.nodeID : peer
        guard newDialer != oldDialer else { return true }
        return newDialer == lower
    }

    // MARK: Liveness checks

    /// A connection that began after the old one was up, and loses the tie-break, is either a late
    /// racer or the peer dialing again after it restarted and forgot the old one (which then
    /// lingers here until its idle timeout). A PING on the old connection tells them apart: the
    /// newcomer is held until the old one answers or a few round trips pass.
    private func challenge(_ old: QuicConnection, with newcomer: QuicConnection) {
        var stat = ngtcp2_conn_stat()
        ngtcp2_conn_get_conn_stat_versioned(old.conn, NGTCP2_CONN_STAT_VERSION, &stat)
        let now = quic_shim_now_ns()
        newcomer.held = true
        newcomer.challenged = old
        old.challenger = newcomer
        old.livenessBaseline = old.bytesReceived
        old.livenessDeadline = now + max(4 * stat.smoothed_rtt, 250 * NGTCP2_MILLISECONDS)
        // An immediate keep-alive PING; the usual interval is restored when the check ends.
        ngtcp2_conn_set_keep_alive_timeout(old.conn, NGTCP2_MILLISECONDS)
    }

    /// Ends due liveness checks: an old connection that answered stays; one that did not gives way.
    func serveLivenessChecks(now: UInt64) {
        for old in Array(connections.values) where old.livenessDeadline != 0 {
            let answered = old.bytesReceived > old.livenessBaseline
            guard answered || old.livenessDeadline <= now else { continue }
            old.livenessDeadline = 0
            if settings.keepaliveMs > 0 {
                ngtcp2_conn_set_keep_alive_timeout(old.conn, UInt64(settings.keepaliveMs) * NGTCP2_MILLISECONDS)
            }
            guard let newcomer = old.challenger else { continue }
            old.challenger = nil
            newcomer.challenged = nil
            if answered {
                terminate(newcomer, code: Int32(Self.duplicateConnectionCode), reason: "a connection to this peer is alive",
                          close: .application(Self.duplicateConnectionCode, "duplicate connection"))
            } else {
                promote(newcomer, replacing: old)
            }
        }
    }

    /// The old connection stopped answering (or ended) while a newcomer waited: the newcomer takes over.
    func promote(_ newcomer: QuicConnection, replacing old: QuicConnection) {
        old.challenger = nil
        newcomer.challenged = nil
        guard let peer = newcomer.peerID, !newcomer.closed else { return }
        byPeer[peer] = newcomer
        newcomer.held = false
        if !old.closed {
            // Closed out loud: should the old connection only have been slow, the peer learns at once.
            terminate(old, code: CSYNC_ERR_CLOSED.rawValue,
                      reason: "the peer connected again and this connection stopped answering (it restarted?)",
                      close: .application(Self.duplicateConnectionCode, "replaced by a newer connection"))
        }
        report(newcomer)
    }

    private func report(_ connection: QuicConnection) {
        guard !connection.reported, let peer = connection.peerID else { return }
        connection.reported = true
        events.append(.opened(connection: connection.handle, peer: peer, incoming: !connection.isClient,
                              address: connection.remoteAddress.text))
        events.append(contentsOf: connection.heldEvents)
        connection.heldEvents = []
    }

    /// Stops the other handshakes of a dial that has its answer.
    private func cancelDial(to peer: [UInt8], keeping winner: QuicConnection) {
        guard let attempt = dials.removeValue(forKey: peer) else { return }
        for handle in attempt.attempts where handle != winner.handle {
            if let other = connections[handle], !other.reported {
                terminate(other, code: 0, reason: "another address answered first", close: .application(0, "dial won elsewhere"))
            }
        }
    }

    /// One racing handshake failed; when none is left, the dial fails (unless a held incoming
    /// connection from that peer can stand in).
    func attemptFailed(_ connection: QuicConnection, reason: String) {
        guard let peer = connection.expectedPeer, let attempt = dials[peer],
              attempt.attempts.remove(connection.handle) != nil else { return }
        attempt.failures.append("\(connection.firstRemote.text): \(reason)")
        guard attempt.attempts.isEmpty else { return }
        dials[peer] = nil
        if let held = byPeer[peer] {
            held.held = false
            report(held)
        } else {
            events.append(.dialFailed(peer: peer, reason: attempt.failures.joined(separator: "; ")))
        }
    }
}
