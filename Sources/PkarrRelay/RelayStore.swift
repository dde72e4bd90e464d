import Pkarr
import Synchronization

/// The relay's packets, one per key, kept in memory. Applies pkarr's "more recent wins" rule.
public final class RelayStore: Sendable {
    /// What a PUT did to the stored packet.
    public enum PutOutcome: Equatable, Sendable {
        /// The packet is now the stored one (or already was, byte for byte).
        case stored
        /// A more recent packet is stored; the incoming one was refused. Carries the stored timestamp.
        case olderThanStored(UInt64)
    }

    private let packets = Mutex<[PkarrPublicKey: SignedPacket]>([:])

    public init() {}

    public func put(_ packet: SignedPacket) -> PutOutcome {
        packets.withLock { packets in
            if let current = packets[packet.publicKey], current != packet, !packet.isMoreRecent(than: current) {
                return .olderThanStored(current.timestamp)
            }
            packets[packet.publicKey] = packet
            return .stored
        }
    }

    public func get(_ key: PkarrPublicKey) -> SignedPacket? {
        packets.withLock { $0[key] }
    }

    public var count: Int { packets.withLock { $0.count } }

    public func removeAll() {
        packets.withLock { $0.removeAll() }
    }
}
