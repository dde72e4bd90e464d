import Foundation
import PluginHost

extension CANSyncNode {
    /// The body of `GET /status`.
    func statusReport() async -> StatusReport {
        let health = try? await healthClient.health()
        return StatusReport(
            nodeID: identity.nodeID.hex, version: CANSyncVersion.current,
            uptimeSecs: (Date().timeIntervalSince(startedAt) * 1000).rounded() / 1000,
            listenAddr: configuration.listenAddress.description, addresses: reachableAddresses(),
            plugins: plugins.summaries,
            canService: CANServiceStatus(url: configuration.canServiceURL, reachable: health?.ok ?? false,
                                         version: health?.version, assets: health?.assets,
                                         bundled: configuration.bundledCANService),
            libraryCount: libraries.count,
            libraries: libraries.all.map { active in
                let counts = try? documents.counts(active.library.id)
                return LibrarySyncState(id: active.library.id.uuidString.lowercased(), name: active.library.name,
                                        entries: counts?.live ?? 0, missingBlobs: counts?.missing ?? 0,
                                        peers: engine.peers(of: active.library.id).map(\.hex).sorted())
            },
            transfers: meter.transfers.map(TransferView.init), blobBytesReceived: meter.totalReceived,
            blobBytesSent: meter.totalSent)
    }

    /// The body of `GET /peers`: every known peer, connected or not.
    func peerReport() -> [PeerView] {
        var views: [NodeID: PeerView] = [:]
        for known in directory.peers {
            views[known.id] = PeerView(nodeID: known.id.hex, addresses: known.addresses, sources: known.sources.sorted(),
                                       state: "disconnected", libraries: [], bytesIn: 0, bytesOut: 0,
                                       lastError: known.lastError)
        }
        for connection in network.connections {
            var view = views[connection.peer] ?? PeerView(
                nodeID: connection.peer.hex, addresses: [connection.remoteAddress], sources: ["incoming"],
                state: "connected", libraries: [], bytesIn: 0, bytesOut: 0)
            view.state = "connected"
            view.remoteAddress = connection.remoteAddress
            view.incoming = connection.incoming
            view.lastError = nil
            view.libraries = engine.sharedLibraries(with: connection.peer).map { $0.uuidString.lowercased() }.sorted()
            if let info = try? connection.info() {
                view.bytesIn = info.bytesReceived
                view.bytesOut = info.bytesSent
                view.rttMs = Double(info.rttMicroseconds) / 1000
            }
            views[connection.peer] = view
        }
        return views.values.sorted { $0.nodeID < $1.nodeID }
    }
}
