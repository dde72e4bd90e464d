import Foundation
import PluginHost
import Synchronization

/// Counts blob bytes per peer and tracks downloads in flight, for `/peers` and `/status`.
final class TransferMeter: Sendable {
    /// One download in progress.
    struct Transfer: Sendable {
        var hash: String
        var library: UUID
        var peer: NodeID?
        var totalBytes: UInt64
        var doneBytes: UInt64
        var startedAt: Date
        var startBytes: UInt64
    }

    private let state = Mutex<(sent: [NodeID: UInt64], received: [NodeID: UInt64], transfers: [String: Transfer])>(([:], [:], [:]))

    func sent(_ bytes: UInt64, to peer: NodeID) {
        state.withLock { $0.sent[peer, default: 0] += bytes }
    }

    func begin(hash: String, library: UUID, totalBytes: UInt64, resumedAt: UInt64) {
        state.withLock {
            $0.transfers[hash] = Transfer(hash: hash, library: library, peer: nil, totalBytes: totalBytes,
                                          doneBytes: resumedAt, startedAt: Date(), startBytes: resumedAt)
        }
    }

    func source(_ hash: String, peer: NodeID) {
        state.withLock { $0.transfers[hash]?.peer = peer }
    }

    func received(_ bytes: UInt64, hash: String, from peer: NodeID) {
        state.withLock {
            $0.received[peer, default: 0] += bytes
            $0.transfers[hash]?.doneBytes += bytes
        }
    }

    func end(_ hash: String) {
        state.withLock { _ = $0.transfers.removeValue(forKey: hash) }
    }

    /// Blob bytes received from every peer since the node started.
    var totalReceived: UInt64 { state.withLock { $0.received.values.reduce(0, +) } }

    /// Blob bytes served to every peer since the node started.
    var totalSent: UInt64 { state.withLock { $0.sent.values.reduce(0, +) } }

    var transfers: [Transfer] {
        state.withLock { Array($0.transfers.values) }.sorted { $0.startedAt < $1.startedAt }
    }
}
