import Foundation
import TestSupport
import XCTest

/// Gossip discovery between real `can-sync` processes: a library passed along a chain of invites,
/// where each join ticket names only its inviter, becomes a full mesh, and a stopped member ages out
/// of what the others gossip.
final class GossipNodeTests: XCTestCase {
    /// Short timers so membership settles in seconds; the TTL bounds how long a departed member is passed on.
    static let shuffleSeconds = 0.5
    static let ttlSeconds = 5.0

    static let pluginsYAML = """
        plugins:
          - path: \(BuildProducts.plugin("QuicTransport"))
            required: true
            settings: { bind: "127.0.0.1:0" }
          - path: \(BuildProducts.plugin("Filters"))
            required: true
          - path: \(BuildProducts.plugin("GossipDiscovery"))
            required: true
            settings: { shuffle_interval_secs: \(shuffleSeconds), peer_ttl_secs: \(ttlSeconds) }
        """

    /// A running node with the name the test gives it and its node id.
    struct Member {
        let name: String
        let node: NodeProcess
        let id: String
    }

    func testChainOfInvitesMeshesAndStoppedMemberAgesOut() async throws {
        var timings = PhaseTimer()
        let members = try await startMembers(["a", "b", "c", "d", "e"])
        timings.mark("5 nodes up")
        defer { members.forEach { $0.node.stop() } }
        let (a, c, d, e) = (members[0], members[2], members[3], members[4])
        let library = try await SyncScenario.createLibrary(on: a.node, name: "gossip", filter: ["application": "gossip-test"])
        for index in 1..<members.count {
            try await SyncScenario.share(library, from: members[index - 1].node, to: members[index].node)
        }

        // Every member lists every other, connected, syncing the library; only the inviter came from a ticket.
        let meshed = try await eventually(timeout: 60, interval: 0.25) {
            try await self.meshProblems(members, library: library).isEmpty
        }
        timings.mark("chain joined to full mesh")
        if !meshed {
            let problems = try await meshProblems(members, library: library)
            XCTFail("no full mesh:\n\(problems.joined(separator: "\n"))\n\(await describe(members))")
        }

        let asset = try await SyncScenario.ingest(Data("gossiped along a chain".utf8), into: a.node,
                                                  fields: ["application": "gossip-test"])
        let hash = try XCTUnwrap(asset["hash"] as? String)
        let arrived = try await eventually(timeout: 30, interval: 0.2) { try await SyncScenario.meta(hash, on: e.node) != nil }
        timings.mark("asset a to e")
        if !arrived { XCTFail("asset ingested on a did not reach e\n\(await describe(members))") }

        // Two newcomers wait, without the library, while c leaves.
        let newcomers = try await startMembers(["f1", "f2"])
        defer { newcomers.forEach { $0.node.stop() } }
        let (early, late) = (newcomers[0], newcomers[1])
        c.node.stop()
        let stoppedAt = Date()
        timings.mark("newcomers up, c stopped")

        // Within the TTL, c is still passed on: a member joining now hears of it.
        try await SyncScenario.share(library, from: a.node, to: early.node)
        let heard = try await eventually(timeout: 20, interval: 0.1) {
            try await early.node.peers()[c.id]?.sources.contains("gossip") == true
        }
        timings.mark("f1 joined and heard of c")
        if !heard { XCTFail("f1, joined right after c stopped, never heard of c\n\(await describe([early, a]))") }

        // After the TTL every live member has dropped c.
        let live = members.filter { $0.id != c.id } + [early]
        let marker = "member \(c.id.prefix(10)) not heard from"
        let dropped = await eventually(timeout: Self.ttlSeconds + 30, interval: 0.2) {
            Date().timeIntervalSince(stoppedAt) > Self.ttlSeconds + 2 * Self.shuffleSeconds
                && live.allSatisfy { $0.node.process?.output.contains(marker) == true }
        }
        timings.mark("c dropped everywhere")
        let silent = live.filter { $0.node.process?.output.contains(marker) != true }.map(\.name)
        XCTAssertTrue(dropped, "members \(silent) never dropped c after the \(Self.ttlSeconds) s TTL")

        // A member joining now learns every live member but never c.
        try await SyncScenario.share(library, from: d.node, to: late.node)
        let others = live.map(\.id)
        var stale: PeerEntry?
        let learned = try await eventually(timeout: 30, interval: 0.1) {
            let peers = try await late.node.peers()
            stale = peers[c.id]
            return stale != nil || others.allSatisfy { peers[$0]?.isConnected == true }
        }
        timings.mark("f2 joined and connected to all live")
        XCTAssertNil(stale, "f2 joined after the TTL and still learned of c")
        if !learned { XCTFail("f2 did not connect to every live member\n\(await describe([late, d]))") }
        // It keeps not hearing of c over several shuffle rounds.
        let watchEnd = Date().addingTimeInterval(6 * Self.shuffleSeconds)
        while Date() < watchEnd {
            if let entry = try await late.node.peers()[c.id] {
                XCTFail("f2 learned of c \(Date().timeIntervalSince(stoppedAt)) s after it stopped: \(entry)")
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        print("GossipNodeTests timings: \(timings)")
    }

    /// Starts one node per name, all at once, and reads their ids.
    private func startMembers(_ names: [String]) async throws -> [Member] {
        let nodes = try names.map {
            try NodeProcess(label: "gossip-\($0)", configLines: ["poll_interval_secs: 1"], pluginsYAML: Self.pluginsYAML,
                            bundledStore: true)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in nodes { group.addTask { try await node.start(timeout: 30) } }
            try await group.waitForAll()
        }
        var members: [Member] = []
        for (name, node) in zip(names, nodes) {
            members.append(Member(name: name, node: node, id: try await node.nodeID().lowercased()))
        }
        return members
    }

    /// What keeps `members` from being a full mesh over `library`; empty when they are one.
    private func meshProblems(_ members: [Member], library: String) async throws -> [String] {
        var problems: [String] = []
        for (index, member) in members.enumerated() {
            let peers = try await member.node.peers()
            let inviter = index > 0 ? members[index - 1].id : nil
            for other in members where other.id != member.id {
                guard let entry = peers[other.id] else {
                    problems.append("\(member.name) does not list \(other.name)")
                    continue
                }
                if entry.addresses.isEmpty { problems.append("\(member.name) has no address for \(other.name)") }
                if !entry.isConnected { problems.append("\(member.name) is not connected to \(other.name): \(entry)") }
                if !entry.libraries.contains(library) { problems.append("\(member.name) does not sync the library with \(other.name)") }
                if other.id != inviter, !entry.sources.contains("gossip") {
                    problems.append("\(member.name) did not learn \(other.name) by gossip: \(entry)")
                }
            }
        }
        return problems
    }

    private func describe(_ members: [Member]) async -> String {
        var text = ""
        for member in members {
            let peers = (try? await member.node.peers()) ?? [:]
            text += "\(member.name) (\(member.id.prefix(10))) peers:\n"
            text += peers.values.map { "  \($0)" }.sorted().joined(separator: "\n") + "\n"
            text += "\(member.name) log tail:\n\(member.node.logTail(2000))\n"
        }
        return text
    }
}
