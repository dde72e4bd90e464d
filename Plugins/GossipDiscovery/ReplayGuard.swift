/// Remembers the MACs of recently accepted messages so an exact repeat inside the replay window is dropped.
/// Older repeats fail the timestamp check instead.
struct ReplayGuard {
    static let capacity = 8192
    private var order: [(mac: [UInt8], expires: UInt64)] = []
    private var head = 0
    private var known: Set<[UInt8]> = []

    /// True the first time `mac` is seen within its lifetime; records it.
    mutating func firstSighting(_ mac: [UInt8], now: UInt64, lifetime: UInt64) -> Bool {
        purge(now: now)
        guard !known.contains(mac) else { return false }
        if known.count >= Self.capacity { dropOldest() }
        known.insert(mac)
        order.append((mac, now + lifetime))
        return true
    }

    mutating func purge(now: UInt64) {
        while head < order.count, order[head].expires <= now { dropOldest() }
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    private mutating func dropOldest() {
        guard head < order.count else { return }
        known.remove(order[head].mac)
        head += 1
    }
}
