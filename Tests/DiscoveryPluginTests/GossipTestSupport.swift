import Foundation
import PluginHost
import TestSupport
import XCTest

/// Shared setup for gossip tests: a library, its topic key, and chains of nodes bootstrapping from each other.
struct GossipLibrary {
    var id = UUID().uuidString.lowercased()
    var topicKey = (0..<32).map { _ in UInt8.random(in: 0...255) }

    func joined(bootstrap: [DiscoveryTestNode] = []) -> LibraryEvent {
        LibraryEvent(libraryID: id, joined: true, topicKey: topicKey, bootstrap: bootstrap.map(\.nodeID))
    }

    /// Decodes a message sent in this library, if it is one.
    func decode(_ message: DiscoveryTestNetwork.SentMessage) -> GossipWire? {
        guard let wire = GossipWire(bytes: message.bytes), wire.libraryID == id else { return nil }
        return wire
    }
}

/// Fast timers so membership changes happen within seconds.
let fastGossipSettings = #"{"shuffle_interval_secs": 0.2, "peer_ttl_secs": 2}"#

extension DiscoveryTestNetwork {
    /// Starts `count` nodes in `library`; node i bootstraps from node i-1 only.
    func startChain(_ count: Int, library: GossipLibrary, settings: String = fastGossipSettings) throws -> [DiscoveryTestNode] {
        var nodes: [DiscoveryTestNode] = []
        for index in 0..<count {
            let node = try addNode(settings: settings)
            node.library(library.joined(bootstrap: index == 0 ? [] : [nodes[index - 1]]))
            try node.start()
            nodes.append(node)
        }
        return nodes
    }
}

/// True when every node has been told every other node's id and exact addresses.
func everyoneKnowsEveryone(_ nodes: [DiscoveryTestNode]) -> Bool {
    nodes.allSatisfy { node in
        let known = node.known
        return nodes.allSatisfy { other in other === node || known[other.nodeID] == other.addresses }
    }
}

/// Describes who knows whom, for failure messages.
func knowledgeReport(_ nodes: [DiscoveryTestNode]) -> String {
    nodes.map { node in
        "node \(node.index) knows " + nodes.filter { $0 !== node && node.known[$0.nodeID] != nil }.map { "\($0.index)" }.joined(separator: ",")
    }.joined(separator: "; ")
}
