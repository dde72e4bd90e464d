/// Failures the relay injects so that tests can check how clients cope with real relays' limits.
/// Counting covers every `GET`/`PUT /<key>` request in arrival order; 0 disables a fault.
public struct RelayFaults: Codable, Equatable, Sendable {
    /// Every Nth request is answered 429 with `Retry-After: retryAfterSeconds`.
    public var inject429Every: Int
    public var retryAfterSeconds: Int
    /// Every Nth request (not already given a 429) is answered 500.
    public var inject500Every: Int
    /// Every valid `PUT` is answered 204 but nothing is stored: the relay keeps serving the packet it
    /// held before (or none), as relays that keep an older packet or serve a stale cache do.
    public var ignorePuts: Bool

    public init(inject429Every: Int = 0, retryAfterSeconds: Int = 1, inject500Every: Int = 0, ignorePuts: Bool = false) {
        self.inject429Every = inject429Every
        self.retryAfterSeconds = retryAfterSeconds
        self.inject500Every = inject500Every
        self.ignorePuts = ignorePuts
    }

    enum CodingKeys: String, CodingKey {
        case inject429Every = "inject_429_every"
        case retryAfterSeconds = "retry_after_secs"
        case inject500Every = "inject_500_every"
        case ignorePuts = "ignore_puts"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        inject429Every = try container.decodeIfPresent(Int.self, forKey: .inject429Every) ?? 0
        retryAfterSeconds = try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) ?? 1
        inject500Every = try container.decodeIfPresent(Int.self, forKey: .inject500Every) ?? 0
        ignorePuts = try container.decodeIfPresent(Bool.self, forKey: .ignorePuts) ?? false
    }

    /// The injected failure for the request numbered `sequence` (1-based), if any.
    func fault(forRequest sequence: Int) -> InjectedFault? {
        if inject429Every > 0 && sequence % inject429Every == 0 { return .tooManyRequests(retryAfterSeconds: retryAfterSeconds) }
        if inject500Every > 0 && sequence % inject500Every == 0 { return .internalError }
        return nil
    }
}

/// One failure the relay answers with instead of serving a request.
enum InjectedFault: Equatable {
    case tooManyRequests(retryAfterSeconds: Int)
    case internalError
}
