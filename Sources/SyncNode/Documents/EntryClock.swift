import Synchronization
import SyncProtocol

/// The node's hybrid logical clock for entry timestamps: never behind the wall clock, never
/// behind any entry this node has stored or received.
public final class EntryClock: Sendable {
    private let clock: Mutex<HybridLogicalClock>

    public init(last: UInt64) {
        clock = Mutex(HybridLogicalClock(last: last))
    }

    /// A timestamp later than every one issued or observed before.
    public func next() -> UInt64 {
        clock.withLock { $0.tick() }
    }

    /// Moves the clock past a timestamp seen on a received entry.
    public func observe(_ timestamp: UInt64) {
        clock.withLock { $0.observe(timestamp) }
    }
}
