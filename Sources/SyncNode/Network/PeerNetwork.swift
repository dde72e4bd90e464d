import CPluginAPI
import Foundation
import Logging
import PluginHost
import ServiceLifecycle
import Synchronization

/// Connects the node to its peers through the transport plugin: dials every peer the directory
/// learns of (retrying with backoff), routes incoming streams to the sync engine, the blob
/// provider and the discovery plugins, and carries discovery plugins' messages.
final class PeerNetwork: Service, Sendable {
    let transport: PeerTransport
    let directory: PeerDirectory
    private let engine: SyncEngine
    private let logger: Logger
    private let dialing = Mutex<[NodeID: (attempts: Int, next: Date, active: Bool)]>([:])

    init(transport: PeerTransport, directory: PeerDirectory, engine: SyncEngine, blobs: BlobProvider,
         discoveryPlugins: [PluginInstance], logger: Logger) {
        self.transport = transport
        self.directory = directory
        self.engine = engine
        self.logger = logger
        transport.handle(protocol: ProtocolNames.sync) { stream in await engine.accept(stream) }
        transport.handle(protocol: ProtocolNames.blobs) { stream in await blobs.serve(stream) }
        for plugin in discoveryPlugins {
            guard let table = plugin.descriptor.discovery?.pointee, let onMessage = table.on_message else { continue }
            let state = UInt(bitPattern: plugin.state)
            transport.handle(protocol: ProtocolNames.discovery(plugin.name)) { stream in
                guard let data = try? await stream.readToEnd(limit: 64 * 1024) else { return }
                let from = stream.connection.peer.bytes
                from.withUnsafeBufferPointer { id in
                    data.withUnsafeBufferPointer { bytes in
                        onMessage(UnsafeMutableRawPointer(bitPattern: state), id.baseAddress, bytes.baseAddress, bytes.count)
                    }
                }
            }
        }
        directory.onDiscovered { [weak self] peer in self?.dialIfNeeded(peer.id) }
    }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in self.transport.events {
                    switch event {
                    case .opened(let connection):
                        self.logger.info("connected to node \(connection.peer.short) at \(connection.remoteAddress) (\(connection.incoming ? "incoming" : "outgoing"))")
                        self.dialing.withLock { $0[connection.peer] = nil }
                        self.engine.connected(connection)
                    case .closed(let connection, _, let reason):
                        self.logger.info("disconnected from node \(connection.peer.short): \(reason)")
                        self.dialIfNeeded(connection.peer)
                    }
                }
            }
            group.addTask {
                // Peers that could not be reached are tried again with backoff.
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    for peer in self.directory.peers { self.dialIfNeeded(peer.id) }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Every live connection.
    var connections: [PeerConnection] { transport.connections }

    func connection(to peer: NodeID) -> PeerConnection? { transport.connection(to: peer) }

    /// Dials `peer` at its known addresses unless connected, dialing, or backing off.
    func dialIfNeeded(_ peer: NodeID) {
        guard transport.connection(to: peer) == nil, let known = directory.peer(peer), !known.addresses.isEmpty else { return }
        let go = dialing.withLock { dialing -> Bool in
            let current = dialing[peer] ?? (0, .distantPast, false)
            guard !current.active, current.next <= Date() else { return false }
            dialing[peer] = (current.attempts, current.next, true)
            return true
        }
        guard go else { return }
        Task {
            do {
                _ = try await transport.connect(to: peer, addresses: known.addresses)
                directory.recordError(peer, nil)
            } catch {
                let attempts = dialing.withLock { dialing -> Int in
                    let attempts = (dialing[peer]?.attempts ?? 0) + 1
                    let delay = min(pow(2, Double(attempts - 1)), 60)
                    dialing[peer] = (attempts, Date().addingTimeInterval(delay), false)
                    return attempts
                }
                directory.recordError(peer, "\(error)")
                if attempts == 1 { logger.info("could not reach node \(peer.short): \(error) (retrying with backoff)") }
                return
            }
            dialing.withLock { $0[peer] = nil }
        }
    }

    /// Sends a discovery plugin's message to the same plugin on `peer`, connecting if needed.
    func sendDiscoveryMessage(plugin: String, to peer: NodeID, _ data: [UInt8]) -> csync_status {
        let addresses = directory.peer(peer)?.addresses ?? []
        guard transport.connection(to: peer) != nil || !addresses.isEmpty else { return CSYNC_ERR_NOT_FOUND }
        Task {
            do {
                let connection = try await transport.connect(to: peer, addresses: addresses)
                let stream = try await connection.openStream(protocol: ProtocolNames.discovery(plugin))
                try await stream.write(data)
                try stream.finish()
            } catch {
                logger.debug("discovery message for \(plugin) to \(peer.short) not delivered: \(error)")
            }
        }
        return CSYNC_OK
    }
}
