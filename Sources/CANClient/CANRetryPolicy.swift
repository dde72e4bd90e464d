/// How calls are retried while the service is unreachable (connection refused, reset or timed out):
/// exponential backoff from `initialDelay`, doubling up to `maxDelay`, for at most `maxAttempts` tries.
/// Answers from the service, errors included, are never retried.
public struct CANRetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var initialDelay: Duration
    public var maxDelay: Duration
    public var multiplier: Double

    public init(maxAttempts: Int = 6, initialDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(5),
                multiplier: Double = 2) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
    }

    /// About six seconds of patience: enough for a store that is restarting.
    public static let `default` = CANRetryPolicy()
    /// Fail on the first transport error.
    public static let none = CANRetryPolicy(maxAttempts: 1)

    /// The pause before retry number `retry` (1-based).
    func delay(beforeRetry retry: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(1, retry) {
            delay = delay * multiplier
            if delay >= maxDelay { return maxDelay }
        }
        return min(delay, maxDelay)
    }
}
