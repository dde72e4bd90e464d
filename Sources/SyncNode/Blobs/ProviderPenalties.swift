import Foundation
import PluginHost

/// How far the fetcher distrusts each peer as a provider of bytes. A failure adds to the peer's
/// penalty (bytes that failed verification add much more than a plain failure), and every penalty
/// halves each `halfLife`, so a peer that failed once is tried first again once it has long served
/// well, instead of being tried last forever.
struct ProviderPenalties {
    /// A failed transfer (the peer lacked the bytes, the stream broke).
    static let failure = 1.0
    /// Bytes that did not hash to the entry's SHA-256.
    static let corruption = 10.0
    static let halfLife: TimeInterval = 600

    private var scores: [NodeID: (value: Double, at: Date)] = [:]

    mutating func add(_ amount: Double, to peer: NodeID, at now: Date = Date()) {
        scores[peer] = (penalty(peer, at: now) + amount, now)
    }

    func penalty(_ peer: NodeID, at now: Date = Date()) -> Double {
        guard let score = scores[peer] else { return 0 }
        return score.value * pow(0.5, max(0, now.timeIntervalSince(score.at)) / Self.halfLife)
    }

    /// `peers` ordered from least to most distrusted; equal penalties keep their order.
    func ordered(_ peers: [NodeID], at now: Date = Date()) -> [NodeID] {
        peers.enumerated()
            .map { (index: $0.offset, peer: $0.element, penalty: penalty($0.element, at: now)) }
            .sorted { ($0.penalty, $0.index) < ($1.penalty, $1.index) }
            .map(\.peer)
    }
}
