import CPluginAPI
import Foundation
import Logging
import PluginHost
import Synchronization

/// Every peer this node has heard of, from any discovery plugin or join ticket: the one peer
/// channel the sync engine reads. It also serves the discovery plugins' host services.
public final class PeerDirectory: DiscoveryServices, Sendable {
    private let localNode: NodeID
    private let state = Mutex<(peers: [NodeID: KnownPeer], listeners: [@Sendable (KnownPeer) -> Void])>(([:], []))
    private let services: Mutex<DiscoveryHostServices?> = Mutex(nil)
    private let logger: Logger

    /// What the directory needs from the rest of the node to serve discovery plugins.
    struct DiscoveryHostServices: Sendable {
        var localAddresses: @Sendable () -> [String]
        var subscribeLibraries: @Sendable (@escaping @Sendable (LibraryEvent) -> Void) -> Void
        var sendMessage: @Sendable (String, NodeID, [UInt8]) -> csync_status
    }

    private let store: PeerStore

    /// Loads the peers known before a restart.
    init(localNode: NodeID, store: PeerStore, logger: Logger) throws {
        self.localNode = localNode
        self.logger = logger
        self.store = store
        let known = try store.load()
        state.withLock { state in
            for peer in known where peer.id != localNode { state.peers[peer.id] = peer }
        }
    }

    func connect(_ services: DiscoveryHostServices) {
        self.services.withLock { $0 = services }
    }

    /// Calls `listener` whenever a peer is reported (again).
    public func onDiscovered(_ listener: @escaping @Sendable (KnownPeer) -> Void) {
        state.withLock { $0.listeners.append(listener) }
    }

    public var peers: [KnownPeer] {
        state.withLock { Array($0.peers.values) }.sorted { $0.id < $1.id }
    }

    public func peer(_ id: NodeID) -> KnownPeer? {
        state.withLock { $0.peers[id] }
    }

    /// Records a dial failure for `/peers`.
    func recordError(_ id: NodeID, _ message: String?) {
        state.withLock { $0.peers[id]?.lastError = message }
    }

    // MARK: DiscoveryServices

    public func peerDiscovered(_ peer: NodeID, addresses: [String], source: String) {
        guard peer != localNode else { return }
        let (known, listeners, isNew, changed) = state.withLock { state in
            let previous = state.peers[peer]
            let isNew = previous == nil
            var known = state.peers[peer] ?? KnownPeer(id: peer, addresses: [], sources: [], lastDiscovered: Date())
            // The newest report's addresses come first; older ones stay as fallbacks.
            known.addresses = addresses + known.addresses.filter { !addresses.contains($0) }
            known.addresses = Array(known.addresses.prefix(16))
            known.sources.insert(source)
            known.lastDiscovered = Date()
            state.peers[peer] = known
            let changed = previous?.addresses != known.addresses || previous?.sources != known.sources
                || known.lastDiscovered.timeIntervalSince(previous?.lastDiscovered ?? .distantPast) > 3600
            return (known, state.listeners, isNew, changed)
        }
        if changed {
            do { try store.save(known) } catch { logger.warning("could not remember node \(peer.short): \(error)") }
        }
        if isNew { logger.info("discovered node \(peer.short) via \(source) at \(addresses.joined(separator: ", "))") }
        listeners.forEach { $0(known) }
    }

    public func localAddresses() -> [String] {
        services.withLock { $0 }?.localAddresses() ?? []
    }

    public func subscribeLibraries(_ handler: @escaping @Sendable (LibraryEvent) -> Void) {
        services.withLock { $0 }?.subscribeLibraries(handler)
    }

    public func sendMessage(plugin: String, to peer: NodeID, _ data: [UInt8]) -> csync_status {
        services.withLock { $0 }?.sendMessage(plugin, peer, data) ?? CSYNC_ERR_UNSUPPORTED
    }
}
