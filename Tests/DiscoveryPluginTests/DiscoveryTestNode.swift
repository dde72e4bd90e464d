import CSodium
import CPluginAPI
import Foundation
import PluginHost
import Synchronization
import TestSupport

/// One simulated node in a `DiscoveryTestNetwork`: a real discovery plugin instance loaded from its .so,
/// with this object as its host. It records what the plugin reports and serves fixed loopback addresses.
final class DiscoveryTestNode: DiscoveryServices {
    /// One peer_discovered call.
    struct Discovery: Sendable {
        var peer: NodeID
        var addresses: [String]
        var source: String
    }

    let index: Int
    let nodeID: NodeID
    let dataDirectory: TemporaryDirectory
    unowned let network: DiscoveryTestNetwork
    let instance: PluginInstance
    private let logBook = LogBook()

    private struct State {
        var addresses: [String]
        var discoveries: [Discovery] = []
        var libraries: [String: LibraryEvent] = [:]
        var handlers: [@Sendable (LibraryEvent) -> Void] = []
    }
    private let state: Mutex<State>

    init(index: Int, network: DiscoveryTestNetwork, plugin: LoadedPlugin, settingsJSON: String,
         addresses: [String]? = nil) throws {
        self.index = index
        self.network = network
        var publicKey = [UInt8](repeating: 0, count: 32)
        var secretKey = [UInt8](repeating: 0, count: 64)
        precondition(sodium_init() >= 0 && crypto_sign_keypair(&publicKey, &secretKey) == 0, "libsodium key generation failed")
        nodeID = NodeID(bytes: publicKey)
        dataDirectory = try TemporaryDirectory("discovery-node\(index)")
        state = Mutex(State(addresses: addresses ?? ["127.0.0.1:\(41000 + index)", "[::1]:\(41000 + index)"]))
        let identity = NodeIdentityView(nodeID: nodeID, secretKey: secretKey, syncPassphrase: "",
                                        dataDirectory: dataDirectory.path)
        let logBook = logBook
        instance = try PluginInstance(plugin: plugin, settingsJSON: settingsJSON, identity: identity) { _, level, message in
            logBook.lines.withLock { $0.append((level, message)) }
        }
        instance.host.attach(discovery: self)
    }

    /// Calls the plugin's start(); throws with the plugin's message on failure.
    func start() throws {
        var error = csync_error()
        let status = instance.descriptor.discovery.pointee.start(instance.state, &error)
        guard status == CSYNC_OK else { throw DiscoveryTestError("start failed on node \(index): \(error.text)") }
    }

    /// Hands a message to the plugin's on_message, as the host's transport would.
    func deliver(from peer: NodeID, _ bytes: [UInt8]) {
        peer.bytes.withUnsafeBufferPointer { id in
            bytes.withUnsafeBufferPointer { data in
                instance.descriptor.discovery.pointee.on_message(instance.state, id.baseAddress, data.baseAddress, data.count)
            }
        }
    }

    // MARK: What the plugin reported

    var addresses: [String] {
        get { state.withLock { $0.addresses } }
        set { state.withLock { $0.addresses = newValue } }
    }

    var discoveries: [Discovery] { state.withLock { $0.discoveries } }
    var logs: [(level: csync_log_level, message: String)] { logBook.lines.withLock { $0 } }

    /// The latest addresses reported for each peer.
    var known: [NodeID: [String]] {
        discoveries.reduce(into: [:]) { $0[$1.peer] = $1.addresses }
    }

    // MARK: Library events

    /// Sets this node's membership and tells every subscribed plugin.
    func library(_ event: LibraryEvent) {
        let handlers = state.withLock { state in
            state.libraries[event.libraryID] = event.joined ? event : nil
            return state.handlers
        }
        for handler in handlers { handler(event) }
    }

    // MARK: DiscoveryServices

    func peerDiscovered(_ peer: NodeID, addresses: [String], source: String) {
        state.withLock { $0.discoveries.append(Discovery(peer: peer, addresses: addresses, source: source)) }
    }

    func localAddresses() -> [String] { addresses }

    func subscribeLibraries(_ handler: @escaping @Sendable (LibraryEvent) -> Void) {
        let current = state.withLock { state in
            state.handlers.append(handler)
            return Array(state.libraries.values)
        }
        for event in current { handler(event) }
    }

    func sendMessage(plugin: String, to peer: NodeID, _ data: [UInt8]) -> csync_status {
        network.route(from: nodeID, to: peer, data)
    }
}

/// The log lines one plugin instance wrote through host->log.
private final class LogBook: Sendable {
    let lines = Mutex<[(level: csync_log_level, message: String)]>([])
}

/// A failure of the test harness itself, with what to look at.
struct DiscoveryTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
