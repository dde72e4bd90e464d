import Foundation
import PluginHost
import TestSupport
import XCTest

/// Gossip discovery across several real plugin instances in one simulated network.
final class GossipMembershipTests: XCTestCase {
    func testChainOfFiveLearnsEveryMembersIdAndAddresses() async throws {
        let network = try DiscoveryTestNetwork(pluginName: "GossipDiscovery")
        defer { network.stopAll() }
        let library = GossipLibrary()
        let started = Date()
        let nodes = try network.startChain(5, library: library)

        let converged = await eventually(timeout: 15) { everyoneKnowsEveryone(nodes) }
        XCTAssertTrue(converged, knowledgeReport(nodes))
        print("gossip chain of 5: full knowledge after \(String(format: "%.2f", Date().timeIntervalSince(started))) s, \(network.sent.count) messages")
        for node in nodes {
            XCTAssertTrue(node.discoveries.allSatisfy { $0.source == "gossip" })
        }
    }

    func testSteadyStateMessageRatePerNodeIsBounded() async throws {
        let network = try DiscoveryTestNetwork(pluginName: "GossipDiscovery")
        defer { network.stopAll() }
        let library = GossipLibrary()
        let nodes = try network.startChain(5, library: library)
        let converged = await eventually(timeout: 15) { everyoneKnowsEveryone(nodes) }
        XCTAssertTrue(converged, knowledgeReport(nodes))

        // Per interval a node sends at most: a keepalive per active neighbour (5), one SHUFFLE, one view
        // repair, forwards of shuffles walking through it and replies to shuffles ending at it. In a
        // five-node library that stays far below 5 + 1 + 1 + 4 × (walk 3 + reply 1) = 23.
        let start = Date()
        let intervals = 10.0
        let quiet = await eventually(timeout: 10) { Date().timeIntervalSince(start) >= intervals * 0.2 }
        XCTAssertTrue(quiet)
        let elapsedIntervals = Date().timeIntervalSince(start) / 0.2
        for node in nodes {
            let perInterval = Double(network.sent(by: node, since: start).count) / elapsedIntervals
            XCTAssertLessThanOrEqual(perInterval, 23, "node \(node.index) sent \(perInterval) messages per interval")
            XCTAssertGreaterThan(perInterval, 0, "node \(node.index) went silent")
            print("gossip steady state: node \(node.index) sent \(String(format: "%.1f", perInterval)) messages per interval")
        }
    }

    /// A first JOIN can be lost (on a real node the host may not know the inviter's address yet). The
    /// joiner must ask again even once another member filled its active view, or the library's creator,
    /// which has no bootstrap peer of its own, never hears of anyone.
    func testCreatorThatMissedTheFirstJoinStillLearnsTheMembers() async throws {
        let network = try DiscoveryTestNetwork(pluginName: "GossipDiscovery")
        defer { network.stopAll() }
        let library = GossipLibrary()
        let creator = try network.addNode(settings: fastGossipSettings)
        try creator.start()
        let joiner = try network.addNode(settings: fastGossipSettings)
        joiner.library(library.joined(bootstrap: [creator]))
        try joiner.start()
        let third = try network.addNode(settings: fastGossipSettings)
        third.library(library.joined(bootstrap: [joiner]))
        try third.start()
        let paired = await eventually(timeout: 10) { everyoneKnowsEveryone([joiner, third]) }
        XCTAssertTrue(paired, knowledgeReport([joiner, third]))
        XCTAssertTrue(creator.known.isEmpty, "the creator learnt members before it held the library")

        // Only now does the creator hold the library; every JOIN so far was dropped as "not gossiped here".
        creator.library(library.joined())
        let converged = await eventually(timeout: 15) { everyoneKnowsEveryone([creator, joiner, third]) }
        XCTAssertTrue(converged, knowledgeReport([creator, joiner, third]))
    }

    func testStoppedNodeAgesOutAndANewcomerNeverLearnsIt() async throws {
        try await checkDeparture { network, node in network.stop(node) }
    }

    func testPartitionedNodeAgesOutAndANewcomerNeverLearnsIt() async throws {
        try await checkDeparture { network, node in network.cutOff(node) }
    }

    /// Five members converge, one departs through `depart`, and once its TTL has passed no member
    /// passes its record on, so a sixth node that joins later never learns it.
    private func checkDeparture(_ depart: (DiscoveryTestNetwork, DiscoveryTestNode) -> Void) async throws {
        let network = try DiscoveryTestNetwork(pluginName: "GossipDiscovery")
        defer { network.stopAll() }
        let library = GossipLibrary()
        let nodes = try network.startChain(5, library: library)
        let converged = await eventually(timeout: 15) { everyoneKnowsEveryone(nodes) }
        XCTAssertTrue(converged, knowledgeReport(nodes))

        let departed = nodes[2]
        func othersMention(_ node: DiscoveryTestNode, since: Date) -> Bool {
            network.sent.contains { message in
                message.from != node.nodeID && message.at >= since
                    && (library.decode(message)?.records.contains { $0.nodeID == node.nodeID.bytes } ?? false)
            }
        }
        let mentionedWhileAlive = await eventually(timeout: 5) { othersMention(departed, since: .distantPast) }
        XCTAssertTrue(mentionedWhileAlive, "members never passed on a record of node 2 while it was alive")

        depart(network, departed)
        let departure = Date()
        // The TTL (2 s) must pass after the last word from node 2; one more interval lets every node's
        // timer run its expiry.
        let expiry = departure.addingTimeInterval(2 + 0.4)
        _ = await eventually(timeout: 10) { Date() >= expiry }

        let newcomer = try network.addNode(settings: fastGossipSettings)
        newcomer.library(library.joined(bootstrap: [nodes[0]]))
        try newcomer.start()
        let live = nodes.filter { $0 !== departed }
        let learned = await eventually(timeout: 15) {
            live.allSatisfy { newcomer.known[$0.nodeID] == $0.addresses }
        }
        XCTAssertTrue(learned, knowledgeReport(live + [newcomer]))
        // Let several rounds of shuffles reach the newcomer before judging what it never heard.
        let receivedAtLeast = network.sent.filter { $0.to == newcomer.nodeID }.count + 40
        let rounds = await eventually(timeout: 15) { network.sent.filter { $0.to == newcomer.nodeID }.count >= receivedAtLeast }
        XCTAssertTrue(rounds)

        XCTAssertNil(newcomer.known[departed.nodeID], "the newcomer learnt the departed node 2")
        XCTAssertFalse(othersMention(departed, since: expiry), "a member still passed on node 2's record after its TTL")
    }

    func testNodeWithWrongTopicKeyLearnsNothingAndIsIgnored() async throws {
        let network = try DiscoveryTestNetwork(pluginName: "GossipDiscovery")
        defer { network.stopAll() }
        let library = GossipLibrary()
        let members = try network.startChain(3, library: library)

        var impostorLibrary = library
        impostorLibrary.topicKey = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let impostor = try network.addNode(settings: fastGossipSettings)
        impostor.library(impostorLibrary.joined(bootstrap: [members[0], members[1]]))
        try impostor.start()

        let converged = await eventually(timeout: 15) { everyoneKnowsEveryone(members) }
        XCTAssertTrue(converged, knowledgeReport(members))
        let tried = await eventually(timeout: 10) { network.sent(by: impostor).count >= 10 }
        XCTAssertTrue(tried, "the impostor never tried to join")

        XCTAssertTrue(impostor.discoveries.isEmpty, "the impostor learnt \(impostor.discoveries.map(\.peer.short))")
        for member in members {
            XCTAssertNil(member.known[impostor.nodeID], "member \(member.index) accepted the impostor")
        }
        XCTAssertFalse(network.sent.contains { $0.to == impostor.nodeID }, "a member answered the impostor")
        XCTAssertTrue(members[0].logs.contains { $0.message.contains("MAC check failed") },
                      "member 0 did not log the rejected messages: \(members[0].logs.map(\.message))")
    }

    func testLeavingALibraryStopsGossipForIt() async throws {
        let network = try DiscoveryTestNetwork(pluginName: "GossipDiscovery")
        defer { network.stopAll() }
        let library = GossipLibrary()
        let nodes = try network.startChain(2, library: library)
        let converged = await eventually(timeout: 15) { everyoneKnowsEveryone(nodes) }
        XCTAssertTrue(converged, knowledgeReport(nodes))

        nodes[1].library(LibraryEvent(libraryID: library.id, joined: false, topicKey: library.topicKey, bootstrap: []))
        let loggedLeave = await eventually(timeout: 5) { nodes[1].logs.contains { $0.message.contains("left, gossip stopped") } }
        XCTAssertTrue(loggedLeave)
        // Counted from when the plugin has processed the leave: a reply it queued before may still go out.
        let left = Date()
        // Node 0 keeps asking node 1 to be its neighbour, unanswered, until node 1's TTL passes and
        // node 0 drops it: by then node 1 has had the whole TTL to send anything.
        let dropped = await eventually(timeout: 10) {
            nodes[0].logs.contains { $0.message.contains("member \(nodes[1].nodeID.short) not heard from") }
        }
        XCTAssertTrue(dropped, "node 0 never dropped node 1: \(nodes[0].logs.map(\.message))")
        XCTAssertGreaterThan(network.sent(by: nodes[0], since: left).count, 0)
        let after = network.sent(by: nodes[1], since: left).compactMap(library.decode)
        XCTAssertLessThanOrEqual(after.count, 1, "node 1 kept gossiping: \(after.map(\.kind))")
        XCTAssertTrue(after.allSatisfy { $0.kind == .disconnect }, "\(after.map(\.kind))")
    }

    func testBootstrapFromSettingsIsReportedAndJoined() async throws {
        let network = try DiscoveryTestNetwork(pluginName: "GossipDiscovery")
        defer { network.stopAll() }
        let library = GossipLibrary()
        let first = try network.addNode(settings: fastGossipSettings)
        first.library(library.joined())
        try first.start()

        let settings = #"{"shuffle_interval_secs": 0.2, "peer_ttl_secs": 2, "bootstrap": ["\#(first.nodeID.hex)@127.0.0.1:41000, [::1]:41000", {"node_id": "\#(String(repeating: "ab", count: 32))", "addresses": ["127.0.0.1:6000"]}]}"#
        let second = try network.addNode(settings: settings)
        second.library(library.joined())
        try second.start()

        let reported = await eventually(timeout: 5) {
            second.known[NodeID(hex: String(repeating: "ab", count: 32))!] == ["127.0.0.1:6000"]
        }
        XCTAssertTrue(reported, "settings bootstrap peer was not reported: \(second.discoveries)")
        let converged = await eventually(timeout: 10) { everyoneKnowsEveryone([first, second]) }
        XCTAssertTrue(converged, knowledgeReport([first, second]))
    }

    func testSettingsAreValidated() throws {
        let network = try DiscoveryTestNetwork(pluginName: "GossipDiscovery")
        let cases: [(String, String)] = [
            (#"{"bogus": 1}"#, "unknown setting 'bogus'"),
            (#"{"bootstrap": ["zz@127.0.0.1:1"]}"#, "bootstrap[0]: node id must be 64 hex digits"),
            (#"{"bootstrap": ["\#(String(repeating: "a", count: 64))@localhost:1"]}"#, "is not an IPv4 address"),
            (#"{"bootstrap": [{"node_id": "\#(String(repeating: "a", count: 64))", "port": 1}]}"#, "unknown key 'port'"),
            (#"{"shuffle_interval_secs": 10, "peer_ttl_secs": 15}"#, "at least twice"),
            (#"{"active_view_size": 0}"#, "'active_view_size' must be 1-64"),
        ]
        for (settings, expected) in cases {
            XCTAssertThrowsError(try network.addNode(settings: settings), settings) { error in
                XCTAssertTrue(String(describing: error).contains(expected), "\(settings): \(error)")
            }
        }
    }
}
