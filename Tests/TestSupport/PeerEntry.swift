import Foundation

/// One entry of a node's `GET /peers`, as tests read it.
public struct PeerEntry: Sendable, CustomStringConvertible {
    public let nodeID: String
    public let addresses: [String]
    public let sources: [String]
    /// "connected", "connecting" or "disconnected".
    public let state: String
    /// The libraries synced with this peer over live sessions.
    public let libraries: [String]

    public var isConnected: Bool { state == "connected" }

    public var description: String {
        "\(nodeID.prefix(10)) \(state) sources=\(sources) addresses=\(addresses) libraries=\(libraries.count)"
    }

    init?(_ object: [String: Any]) {
        guard let id = object["node_id"] as? String, let state = object["state"] as? String else { return nil }
        nodeID = id
        self.state = state
        addresses = object["addresses"] as? [String] ?? []
        sources = object["sources"] as? [String] ?? []
        libraries = object["libraries"] as? [String] ?? []
    }
}

extension NodeProcess {
    /// The node's id (hex) from `GET /status`.
    public func nodeID() async throws -> String {
        let reply = try await TestHTTP.get("\(apiURL)/status")
        guard let id = (reply.data as? [String: Any])?["node_id"] as? String else {
            throw SyncScenario.ScenarioError("GET \(apiURL)/status has no node_id: \(reply.status) \(reply.text)")
        }
        return id
    }

    /// The node's `GET /peers`, keyed by node id.
    public func peers() async throws -> [String: PeerEntry] {
        let reply = try await TestHTTP.get("\(apiURL)/peers")
        guard reply.status == 200, let list = reply.data as? [[String: Any]] else {
            throw SyncScenario.ScenarioError("GET \(apiURL)/peers failed: \(reply.status) \(reply.text)")
        }
        let entries = list.compactMap(PeerEntry.init)
        return Dictionary(entries.map { ($0.nodeID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The last `count` characters of the node's log, for failure messages.
    public func logTail(_ count: Int = 3000) -> String {
        String(process?.output.suffix(count) ?? "")
    }
}
