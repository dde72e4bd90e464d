import CQuicShims
import PluginAPI

extension QuicEndpoint {
    /// The application code a connection is closed with when a simultaneous one replaces it.
    static let duplicateConnectionCode: UInt64 = 0x10

    /// Starts a handshake to every candidate address at once; the first to finish wins.
    func dial(_ peer: [UInt8], addresses: [String]) throws {
        guard running else { throw PluginFailure(CSYNC_ERR_INVALID, "the quic transport is not started") }
        guard peer != identity.nodeID else {
            throw PluginFailure(CSYNC_ERR_INVALID, "cannot dial this node's own id \(peer.hexString)")
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

    /// Of two connections to one peer, the one dialed by the lower node id stays; if the same node
    /// dialed both, the newer one stays (the peer restarted or reconnected).
    private func wins(_ new: QuicConnection, over old: QuicConnection, peer: [UInt8]) -> Bool {
        let lower = identity.nodeID.lexicographicallyPrecedes(peer) ? identity.nodeID : peer
        let newDialer = new.isClient ? identity.nodeID : peer
        let oldDialer = old.isClient ? identity.nodeID : peer
        guard newDialer != oldDialer else { return true }
        return newDialer == lower
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
