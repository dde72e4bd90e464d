import Foundation

/// Entry timestamps: microseconds since the Unix epoch that never run backwards on a node and
/// always exceed every timestamp the node has seen, so an edit made after receiving an entry
/// wins over it even when this node's wall clock is behind the writer's.
///
/// `tick` returns max(wall clock, last + 1). `observe` raises `last` to an accepted remote
/// timestamp; entries more than `SyncEntry.maximumFutureSkew` ahead of the receiver's clock are
/// rejected before they are observed, so one node with a wrong clock cannot drag the others
/// far into the future.
public struct HybridLogicalClock: Sendable, Equatable {
    public private(set) var last: UInt64

    /// `last` is the largest timestamp issued or observed so far (persist it across restarts).
    public init(last: UInt64 = 0) {
        self.last = last
    }

    /// The timestamp for a new local entry.
    public mutating func tick(wallClock: UInt64 = HybridLogicalClock.wallClockMicros()) -> UInt64 {
        last = max(wallClock, last &+ 1)
        return last
    }

    /// Records a timestamp from a verified remote entry.
    public mutating func observe(_ timestamp: UInt64) {
        last = max(last, timestamp)
    }

    public static func wallClockMicros(_ date: Date = Date()) -> UInt64 {
        UInt64(max(0, date.timeIntervalSince1970 * 1_000_000))
    }
}
