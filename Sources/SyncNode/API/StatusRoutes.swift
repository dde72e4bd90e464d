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
    public var libraries: [LibrarySyncState]
    public var transfers: [TransferView]
    /// Blob bytes downloaded from peers since the node started.
    public var blobBytesReceived: UInt64
    /// Blob bytes served to peers since the node started.
    public var blobBytesSent: UInt64

    enum CodingKeys: String, CodingKey {
        case libraries, transfers, blobBytesReceived = "blob_bytes_received", blobBytesSent = "blob_bytes_sent"
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

/// One library's sync state in `GET /status`.
public struct LibrarySyncState: Codable, Sendable {
    public var id: String
    public var name: String
    public var entries: Int
    public var missingBlobs: Int
    /// Nodes syncing this library with this node now.
    public var peers: [String]

    enum CodingKeys: String, CodingKey {
        case id, name, entries, peers, missingBlobs = "missing_blobs"
    }
}

/// A download in flight in `GET /status`.
public struct TransferView: Codable, Sendable {
    public var hash: String
    public var library: String
    public var peer: String?
    public var bytesDone: UInt64
    public var totalBytes: UInt64
    public var bytesPerSecond: Double
    public var etaSecs: Double?

    init(_ transfer: TransferMeter.Transfer) {
        hash = transfer.hash
        library = transfer.library.uuidString.lowercased()
        peer = transfer.peer?.hex
        bytesDone = transfer.doneBytes
        totalBytes = transfer.totalBytes
        let elapsed = max(Date().timeIntervalSince(transfer.startedAt), 0.001)
        bytesPerSecond = (Double(transfer.doneBytes - transfer.startBytes) / elapsed).rounded()
        etaSecs = bytesPerSecond > 0 ? (Double(transfer.totalBytes - transfer.doneBytes) / bytesPerSecond * 10).rounded() / 10 : nil
    }

    enum CodingKeys: String, CodingKey {
        case hash, library, peer, bytesDone = "bytes_done", totalBytes = "total_bytes"
        case bytesPerSecond = "bytes_per_sec", etaSecs = "eta_secs"
    }
}
