/// Caps how many messages one library may send: `capacity` per interval, in bursts of at most `capacity`.
struct TokenBucket {
    let capacity: Double
    let intervalMilliseconds: Double
    private var tokens: Double
    private var updated: UInt64

    init(capacity: Int, intervalMilliseconds: UInt64, now: UInt64) {
        self.capacity = Double(capacity)
        self.intervalMilliseconds = Double(max(intervalMilliseconds, 1))
        self.tokens = Double(capacity)
        self.updated = now
    }

    /// Takes one token if there is one.
    mutating func take(now: UInt64) -> Bool {
        if now > updated {
            tokens = min(capacity, tokens + Double(now - updated) * capacity / intervalMilliseconds)
            updated = now
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
