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
    public var canService: CANServiceStatus
    public var libraryCount: Int

    enum CodingKeys: String, CodingKey {
        case nodeID = "node_id", version, uptimeSecs = "uptime_secs", listenAddr = "listen_addr", addresses, plugins
        case canService = "can_service", libraryCount = "library_count"
    }
}

/// The CAN Service as `GET /status` reports it.
public struct CANServiceStatus: Codable, Sendable {
    public var url: String
    public var reachable: Bool
    public var version: String?
    public var assets: Int64?
    public var bundled: Bool
}
