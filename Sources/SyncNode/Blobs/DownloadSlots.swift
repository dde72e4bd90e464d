/// The downloads in flight and what each holds in memory: at most `maxCount` at once, and together at
/// most `memoryBudget` bytes, except that one download always fits (an asset larger than the budget
/// still gets fetched, alone). Small downloads wait mostly on round trips, so many run at once; large
/// ones hold buffers, so few do.
struct DownloadSlots {
    let maxCount: Int
    let memoryBudget: UInt64
    private var held: [String: UInt64] = [:]

    init(maxCount: Int, memoryBudget: UInt64) {
        self.maxCount = maxCount
        self.memoryBudget = memoryBudget
    }

    var count: Int { held.count }
    var free: Int { max(0, maxCount - held.count) }

    /// Takes a slot for `hash` holding `bytes` in memory, if one is free and the bytes fit.
    mutating func start(_ hash: String, holding bytes: UInt64) -> Bool {
        guard held.count < maxCount, held[hash] == nil,
              held.values.reduce(0, +) + bytes <= memoryBudget || held.isEmpty else { return false }
        held[hash] = bytes
        return true
    }

    mutating func finish(_ hash: String) {
        held.removeValue(forKey: hash)
    }
}
