import Foundation
import Synchronization

/// Every pkarr request the relay saw, so tests can assert how many arrived, when, and from whom.
public final class RelayStatistics: Sendable {
    /// One request, as `GET /_stats` reports it.
    public struct Entry: Codable, Equatable, Sendable {
        /// Seconds since the Unix epoch when the request arrived.
        public var time: Double
        public var method: String
        public var key: String
        public var status: Int
        /// The request's User-Agent, which tells clients on one address apart.
        public var client: String
    }

    /// The `GET /_stats` document.
    public struct Snapshot: Codable, Equatable, Sendable {
        public var total: Int
        /// Requests per key, then per method.
        public var counts: [String: [String: Int]]
        /// The most recent requests, oldest first (at most `RelayStatistics.logLimit`).
        public var requests: [Entry]

        /// Requests with `method` for `key` (or for every key when nil).
        public func count(method: String, key: String? = nil) -> Int {
            counts.filter { key == nil || $0.key == key }.values.reduce(0) { $0 + ($1[method] ?? 0) }
        }
    }

    public static let logLimit = 20_000
    private let state = Mutex(Snapshot(total: 0, counts: [:], requests: []))

    public init() {}

    func record(method: String, key: String, status: Int, client: String) {
        let entry = Entry(time: Date().timeIntervalSince1970, method: method, key: key, status: status, client: client)
        state.withLock { snapshot in
            snapshot.total += 1
            snapshot.counts[key, default: [:]][method, default: 0] += 1
            snapshot.requests.append(entry)
            if snapshot.requests.count > Self.logLimit { snapshot.requests.removeFirst(snapshot.requests.count - Self.logLimit) }
        }
    }

    public func snapshot() -> Snapshot { state.withLock { $0 } }

    public func reset() {
        state.withLock { $0 = Snapshot(total: 0, counts: [:], requests: []) }
    }
}
