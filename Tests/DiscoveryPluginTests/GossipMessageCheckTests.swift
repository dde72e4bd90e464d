import Foundation
import PluginHost
import TestSupport
import XCTest

/// What a gossip node accepts from the network: only current, unrepeated messages sealed with the
/// library's key for this node by the node that sent them; and how much it sends when flooded.
final class GossipMessageCheckTests: XCTestCase {
    private func fakeID() -> [UInt8] { (0..<32).map { _ in UInt8.random(in: 0...255) } }

    private func join(from sender: [UInt8], library: GossipLibrary, timestamp: UInt64 = GossipWire.nowMilliseconds) -> GossipWire {
        GossipWire(kind: .join, sender: sender, timestamp: timestamp, libraryID: library.id,
                   records: [.init(nodeID: sender, ageMilliseconds: 0, addresses: ["127.0.0.1:5999"])])
    }

    /// Injects a valid JOIN from a fresh node and waits until the plugin has reported it: everything
    /// injected earlier has been processed by then.
    private func barrier(_ network: DiscoveryTestNetwork, _ node: DiscoveryTestNode, _ library: GossipLibrary) async -> Bool {
        let marker = fakeID()
        network.inject(to: node, from: NodeID(bytes: marker),
                       join(from: marker, library: library).sealed(topicKey: library.topicKey, recipient: node.nodeID.bytes))
        return await eventually(timeout: 5) { node.known[NodeID(bytes: marker)] != nil }
    }

    func testOnlyCurrentUnrepeatedCorrectlySealedMessagesAreAccepted() async throws {
        let network = try DiscoveryTestNetwork(pluginName: "GossipDiscovery")
        defer { network.stopAll() }
        let library = GossipLibrary()
        let node = try network.addNode(settings: #"{"shuffle_interval_secs": 0.2, "peer_ttl_secs": 5, "replay_window_secs": 30}"#)
        node.library(library.joined())
        try node.start()
        let me = node.nodeID.bytes
        func replies(to peer: [UInt8]) -> Int {
            network.sent.filter { $0.to.bytes == peer && library.decode($0)?.kind == .neighbor && library.decode($0)?.flags == 3 }.count
        }

        let good = fakeID()
        let valid = join(from: good, library: library).sealed(topicKey: library.topicKey, recipient: me)
        network.inject(to: node, from: NodeID(bytes: good), valid)
        let accepted = await barrier(network, node, library)
        XCTAssertTrue(accepted)
        XCTAssertEqual(node.known[NodeID(bytes: good)], ["127.0.0.1:5999"])
        XCTAssertEqual(replies(to: good), 1)

        network.inject(to: node, from: NodeID(bytes: good), valid)
        let afterReplay = await barrier(network, node, library)
        XCTAssertTrue(afterReplay)
        XCTAssertEqual(replies(to: good), 1, "an exact replay was answered")
        network.inject(to: node, from: NodeID(bytes: good),
                       join(from: good, library: library, timestamp: GossipWire.nowMilliseconds + 1)
                           .sealed(topicKey: library.topicKey, recipient: me))
        let fresh = await eventually(timeout: 5) { replies(to: good) == 2 }
        XCTAssertTrue(fresh, "a fresh JOIN from the same node was not answered")

        let stale = fakeID()
        network.inject(to: node, from: NodeID(bytes: stale),
                       join(from: stale, library: library, timestamp: GossipWire.nowMilliseconds - 120_000)
                           .sealed(topicKey: library.topicKey, recipient: me))
        let tampered = fakeID()
        var tamperedBytes = join(from: tampered, library: library).sealed(topicKey: library.topicKey, recipient: me)
        // The last address character before the MAC: "…5999" becomes "…5998", still a valid address.
        tamperedBytes[tamperedBytes.count - 33] ^= 0x01
        network.inject(to: node, from: NodeID(bytes: tampered), tamperedBytes)
        let misdirected = fakeID()
        network.inject(to: node, from: NodeID(bytes: misdirected),
                       join(from: misdirected, library: library).sealed(topicKey: library.topicKey, recipient: fakeID()))
        let spoofed = fakeID()
        network.inject(to: node, from: NodeID(bytes: fakeID()),
                       join(from: spoofed, library: library).sealed(topicKey: library.topicKey, recipient: me))
        network.inject(to: node, from: NodeID(bytes: fakeID()), [1, 2, 3])
        let processed = await barrier(network, node, library)
        XCTAssertTrue(processed)

        for (name, id) in [("stale", stale), ("tampered", tampered), ("misdirected", misdirected), ("spoofed", spoofed)] {
            XCTAssertNil(node.known[NodeID(bytes: id)], "the \(name) JOIN was accepted")
            XCTAssertEqual(replies(to: id), 0, "the \(name) JOIN was answered")
        }
    }

    func testAFloodOfJoinsStaysWithinTheSendCapAndActiveViewBound() async throws {
        let network = try DiscoveryTestNetwork(pluginName: "GossipDiscovery")
        defer { network.stopAll() }
        let library = GossipLibrary()
        let cap = 20
        let interval = 1.0
        let node = try network.addNode(settings: #"{"shuffle_interval_secs": \#(interval), "peer_ttl_secs": 30, "max_messages_per_interval": \#(cap)}"#)
        node.library(library.joined())
        try node.start()

        let start = Date()
        let flooders = (0..<400).map { _ in fakeID() }
        for id in flooders {
            network.inject(to: node, from: NodeID(bytes: id),
                           join(from: id, library: library).sealed(topicKey: library.topicKey, recipient: node.nodeID.bytes))
        }
        let processed = await eventually(timeout: 10) { flooders.allSatisfy { node.known[NodeID(bytes: $0)] != nil } }
        XCTAssertTrue(processed, "only \(flooders.filter { node.known[NodeID(bytes: $0)] != nil }.count) of 400 JOINs processed")
        let elapsed = Date().timeIntervalSince(start)
        let sent = network.sent(by: node, since: start).count

        // A token bucket of `cap` refilled at `cap` per interval allows at most cap × (1 + elapsed/interval).
        let bound = Double(cap) * (1 + elapsed / interval) + 1
        XCTAssertLessThanOrEqual(Double(sent), bound, "sent \(sent) messages in \(elapsed) s")
        // 400 JOINs ask for ~2000 answers; the cap, not a lack of work, is what held the rate down.
        XCTAssertGreaterThanOrEqual(sent, cap)

        // The active view stays bounded: each timer tick sends one keepalive (NEIGHBOR with only ACK)
        // per active neighbour, and ticks are an interval apart.
        func keepaliveBursts() -> [Set<NodeID>] {
            var bursts: [(at: Date, peers: Set<NodeID>)] = []
            for message in network.sent(by: node, since: start) where library.decode(message).map({ $0.kind == .neighbor && $0.flags == 2 }) == true {
                if let last = bursts.last, message.at.timeIntervalSince(last.at) < interval / 3 {
                    bursts[bursts.count - 1].peers.insert(message.to)
                } else {
                    bursts.append((message.at, [message.to]))
                }
            }
            return bursts.map(\.peers)
        }
        let ticked = await eventually(timeout: 10) { keepaliveBursts().count >= 3 }
        XCTAssertTrue(ticked, "no keepalives after the flood")
        XCTAssertTrue(keepaliveBursts().allSatisfy { $0.count <= 5 }, "active view over 5: \(keepaliveBursts().map(\.count))")
        XCTAssertTrue(keepaliveBursts().contains { $0.count == 5 }, "the flood never filled the active view")
        print("gossip flood: 400 JOINs in, \(sent) messages out in \(String(format: "%.2f", elapsed)) s (cap \(cap) per \(interval) s)")
    }
}
