import CPluginAPI
import Foundation
import PluginHost
import Synchronization
import TestSupport

/// A test host for N discovery plugin instances: routes each send_message to the target instance's
/// on_message asynchronously on a serial queue (never re-entrantly), logs every message, and can cut a
/// node off or stop it to simulate its departure.
final class DiscoveryTestNetwork: Sendable {
    /// One send_message call, delivered or not.
    struct SentMessage: Sendable {
        var from: NodeID
        var to: NodeID
        var bytes: [UInt8]
        var at: Date
        var delivered: Bool
    }

    let plugin: LoadedPlugin
    private let queue = DispatchQueue(label: "discovery-test-network")
    private let state = Mutex<(nodes: [NodeID: DiscoveryTestNode], cutOff: Set<NodeID>, stopped: Set<NodeID>, sent: [SentMessage])>(([:], [], [], []))

    init(pluginName: String) throws {
        plugin = try PluginLoader.load(path: BuildProducts.plugin(pluginName))
    }

    /// Creates a node running the plugin with `settings` (a JSON object).
    func addNode(settings: String = "{}", addresses: [String]? = nil) throws -> DiscoveryTestNode {
        let index = state.withLock { $0.nodes.count }
        let node = try DiscoveryTestNode(index: index, network: self, plugin: plugin, settingsJSON: settings, addresses: addresses)
        state.withLock { $0.nodes[node.nodeID] = node }
        return node
    }

    /// Drops everything sent to or by `node` from now on.
    func cutOff(_ node: DiscoveryTestNode) {
        state.withLock { _ = $0.cutOff.insert(node.nodeID) }
        queue.sync {}
    }

    /// Cuts the node off, waits out deliveries in flight, then shuts its plugin down.
    func stop(_ node: DiscoveryTestNode) {
        cutOff(node)
        guard state.withLock({ $0.stopped.insert(node.nodeID).inserted }) else { return }
        node.instance.shutdown()
        // Host tables live for the whole process and keep the node alive, so its directory goes now.
        try? FileManager.default.removeItem(at: node.dataDirectory.url)
    }

    /// Stops every node that is still running.
    func stopAll() {
        let running = state.withLock { state in state.nodes.values.filter { !state.stopped.contains($0.nodeID) } }
        for node in running { stop(node) }
    }

    /// Delivers raw bytes to `node` as if `from` had sent them.
    func inject(to node: DiscoveryTestNode, from: NodeID, _ bytes: [UInt8]) {
        queue.async { node.deliver(from: from, bytes) }
    }

    var sent: [SentMessage] { state.withLock { $0.sent } }

    func sent(by node: DiscoveryTestNode, since: Date = .distantPast) -> [SentMessage] {
        sent.filter { $0.from == node.nodeID && $0.at >= since }
    }

    func route(from: NodeID, to: NodeID, _ bytes: [UInt8]) -> csync_status {
        let target: DiscoveryTestNode? = state.withLock { state in
            let target = state.cutOff.contains(from) || state.cutOff.contains(to) ? nil : state.nodes[to]
            state.sent.append(SentMessage(from: from, to: to, bytes: bytes, at: Date(), delivered: target != nil))
            return target
        }
        guard let target else { return CSYNC_OK }
        queue.async { [self] in
            // A node cut off after this message was queued must not receive it.
            guard !state.withLock({ $0.cutOff.contains(to) || $0.cutOff.contains(from) }) else { return }
            target.deliver(from: from, bytes)
        }
        return CSYNC_OK
    }
}
