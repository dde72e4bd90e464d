import Foundation
import Hummingbird
import PluginHost

/// `GET /status`: who this node is and what it runs.
struct StatusRoutes<Context: RequestContext>: Sendable {
    let node: CANSyncNode

    func register(on router: Router<Context>) {
        router.get("/status") { _, _ in
            APIResponse(await node.statusReport())
        }
    }
}

/// The body of `GET /status`.
public struct StatusReport: Codable, Sendable {
    public var nodeID: String
    public var version: String
    public var uptimeSecs: Double
    public var listenAddr: String
    public var addresses: [String]
    public var plugins: [PluginRegistry.Summary]

    enum CodingKeys: String, CodingKey {
        case nodeID = "node_id", version, uptimeSecs = "uptime_secs", listenAddr = "listen_addr", addresses, plugins
    }
}
