import Foundation

/// When a relay may be asked again. A 429 pauses for its Retry-After (at least), growing when 429s
/// repeat; errors and 5xx pause 1, 2, 4 … 60 s. Jitter of up to 20% keeps peers from retrying in step.
struct RelayBackoff {
    static let maximumSeconds = 300.0
    private(set) var notBefore = Date.distantPast
    private var consecutiveFailures = 0

    func isReady(at now: Date) -> Bool { now >= notBefore }

    mutating func succeeded() {
        consecutiveFailures = 0
    }

    /// Records a 429 and returns the pause in seconds.
    mutating func rateLimited(retryAfter: Double?, at now: Date) -> Double {
        consecutiveFailures += 1
        let growing = pow(2, Double(min(consecutiveFailures - 1, 8)))
        let pause = min(max(retryAfter ?? 1, growing) * Double.random(in: 1...1.2), Self.maximumSeconds)
        notBefore = now.addingTimeInterval(pause)
        return pause
    }

    /// Records an error or a 5xx and returns the pause in seconds.
    mutating func failed(at now: Date) -> Double {
        consecutiveFailures += 1
        let pause = min(pow(2, Double(min(consecutiveFailures - 1, 6))), 60) * Double.random(in: 1...1.2)
        notBefore = now.addingTimeInterval(pause)
        return pause
    }
}
