import Foundation
import Hummingbird
import PluginHost

/// `GET /peers`: every peer this node knows, connected or not.
struct PeerRoutes<Context: RequestContext>: Sendable {
    let node: CANSyncNode

    func register(on router: Router<Context>) {
        router.get("/peers") { _, _ in
            APIResponse(node.peerReport())
        }
    }
}

/// One peer as `GET /peers` shows it.
struct PeerView: Encodable, Sendable {
    var nodeID: String
    var addresses: [String]
    var sources: [String]
    /// "connected", "connecting" or "disconnected".
    var state: String
    var remoteAddress: String?
    var incoming: Bool?
    var libraries: [String]
    var bytesIn: UInt64
    var bytesOut: UInt64
    var rttMs: Double?
    var lastError: String?

    enum CodingKeys: String, CodingKey {
        case nodeID = "node_id", addresses, sources, state, remoteAddress = "remote_addr", incoming, libraries
        case bytesIn = "bytes_in", bytesOut = "bytes_out", rttMs = "rtt_ms", lastError = "last_error"
    }
}
