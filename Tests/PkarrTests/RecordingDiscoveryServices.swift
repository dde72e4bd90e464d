import CPluginAPI
import PluginHost
import Synchronization

/// The host side a discovery plugin talks to in tests: fixed local addresses, and a record of every
/// peer_discovered call and log line.
final class RecordingDiscoveryServices: DiscoveryServices {
    struct Discovery: Equatable {
        var peer: NodeID
        var addresses: [String]
        var source: String
    }

    let addresses: [String]
    private let discoveries = Mutex<[Discovery]>([])

    init(addresses: [String]) {
        self.addresses = addresses
    }

    var all: [Discovery] { discoveries.withLock { $0 } }

    /// The latest addresses reported for each peer.
    var peers: [NodeID: [String]] {
        Dictionary(all.map { ($0.peer, $0.addresses) }, uniquingKeysWith: { $1 })
    }

    func peerDiscovered(_ peer: NodeID, addresses: [String], source: String) {
        discoveries.withLock { $0.append(Discovery(peer: peer, addresses: addresses, source: source)) }
    }

    func localAddresses() -> [String] { addresses }

    func subscribeLibraries(_ handler: @escaping @Sendable (LibraryEvent) -> Void) {}

    func sendMessage(plugin: String, to peer: NodeID, _ data: [UInt8]) -> csync_status { CSYNC_ERR_UNSUPPORTED }
}

/// Log lines of every plugin instance in a test, for assertions and failure messages.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    func contains(_ fragment: String) -> Bool { lines.withLock { $0.contains { $0.contains(fragment) } } }

    func handler(label: String) -> PluginLogHandler {
        { [self] plugin, level, message in
            lines.withLock { $0.append("[\(label) \(plugin) \(level.rawValue)] \(message)") }
        }
    }
}
