import CPluginAPI
import Foundation
import Pkarr
import PkarrRelay
import PluginHost
import TestSupport
import XCTest

/// libPkarrDiscovery.so loaded with dlopen, driven through the ABI against a real relay on loopback.
final class PkarrDiscoveryPluginTests: XCTestCase {
    private let logs = LogRecorder()
    private var nodes: [PkarrPluginNode] = []
    private var directory: TemporaryDirectory?

    override func tearDown() {
        for node in nodes { node.instance.shutdown() }
        nodes = []
        directory = nil
    }

    private func fastSettings(_ relays: [String], republish: Int = 2, ttl: Int = 6) -> String {
        let list = relays.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"relays":[\#(list)],"scan_interval_secs":1,"republish_interval_secs":\#(republish),"ttl_secs":\#(ttl)}"#
    }

    /// Creates and starts one instance; `index` makes its fixed addresses unique.
    @discardableResult
    private func startNode(_ index: Int, passphrase: String, settings: String) throws -> PkarrPluginNode {
        if directory == nil { directory = try TemporaryDirectory("pkarr-plugin") }
        let node = try PkarrPluginNode.start(settingsJSON: settings, passphrase: passphrase,
                                             addresses: ["127.0.0.1:\(7000 + index)", "[::1]:\(7000 + index)"],
                                             directory: directory!, log: logs.handler(label: "node\(index)"))
        nodes.append(node)
        XCTAssertEqual(node.instance.plugin.name, "pkarr")
        XCTAssertEqual(node.instance.plugin.kind, .discovery)
        return node
    }

    private func everyNodeFoundTheOthers() -> Bool {
        nodes.allSatisfy { node in
            let found = node.services.peers
            return nodes.allSatisfy { other in
                other.id == node.id || found[other.id] == other.services.addresses
            }
        }
    }

    /// The node ids in the relay's live slot packets.
    private func claimedNodeIDs(_ server: PkarrRelayServer) throws -> [String] {
        try server.statistics.snapshot().counts.keys.compactMap { z32 in
            guard let packet = server.store.get(try PkarrPublicKey(zBase32: z32)) else { return nil }
            return packet.announcedNodeID
        }
    }

    func testThreeNodesWithOnePassphraseFindEachOther() async throws {
        let server = PkarrRelayServer()
        let relay = try await server.start()
        for index in 0..<3 { try startNode(index, passphrase: "correct horse battery staple", settings: fastSettings([relay.url])) }

        let converged = await eventually(timeout: 30) { everyNodeFoundTheOthers() }
        XCTAssertTrue(converged, "peers found: \(nodes.map { $0.services.peers.keys.map(\.short) })\n\(logs.text)")
        for node in nodes {
            XCTAssertNil(node.services.peers[node.id], "a node must not report itself")
            XCTAssertTrue(node.services.all.allSatisfy { $0.source == "pkarr" })
        }
        let holders = try claimedNodeIDs(server)
        XCTAssertEqual(Set(holders), Set(nodes.map(\.id.hex)), "each node holds a slot: \(holders)")
        XCTAssertEqual(holders.count, 3, "no node holds two slots and no two nodes share one: \(holders)")
        let stats = server.statistics.snapshot()
        XCTAssertLessThanOrEqual(stats.counts.count, 8, "requests stay within the 8 slot keys")
        for node in nodes { node.instance.shutdown() }
        nodes = []
        await relay.stop()
    }

    func testBacksOffOnRateLimitsHonoursRetryAfterAndStillConverges() async throws {
        // Every 5th request is refused with 429, asking for a pause eight times the normal read spacing;
        // every 13th other request fails with 500.
        let retryAfter = 1.0
        let server = PkarrRelayServer(faults: RelayFaults(inject429Every: 5, retryAfterSeconds: Int(retryAfter), inject500Every: 13))
        let relay = try await server.start()
        for index in 0..<3 {
            try startNode(index, passphrase: "rate limited rendezvous", settings: fastSettings([relay.url], republish: 3, ttl: 15))
        }

        let converged = await eventually(timeout: 90) { everyNodeFoundTheOthers() }
        XCTAssertTrue(converged, "peers found: \(nodes.map { $0.services.peers.keys.map(\.short) })\n\(logs.text)")
        for node in nodes { node.instance.shutdown() }
        nodes = []
        await relay.stop()

        let requests = server.statistics.snapshot().requests
        let limited = requests.filter { $0.status == 429 }
        XCTAssertGreaterThan(limited.count, 3, "the relay rate limited the nodes")
        XCTAssertGreaterThan(requests.filter { $0.status == 500 }.count, 1, "the relay failed some requests")
        XCTAssertEqual(Set(requests.map(\.client)).count, 3, "each node sends its own User-Agent")
        for client in Set(requests.map(\.client)) {
            let mine = requests.filter { $0.client == client }
            for (index, request) in mine.enumerated() where request.status == 429 && index + 1 < mine.count {
                let gap = mine[index + 1].time - request.time
                XCTAssertGreaterThanOrEqual(gap, retryAfter - 0.05, "\(client) asked again \(gap) s after a 429 with Retry-After \(retryAfter)")
            }
        }
    }

    func testConvergesWhenTheFirstRelayIsDown() async throws {
        let server = PkarrRelayServer()
        let relay = try await server.start()
        let deadRelay = "http://127.0.0.1:\(LoopbackPorts.freeTCPPort())"
        for index in 0..<3 { try startNode(index, passphrase: "two relays", settings: fastSettings([deadRelay, relay.url])) }

        let converged = await eventually(timeout: 30) { everyNodeFoundTheOthers() }
        XCTAssertTrue(converged, "peers found: \(nodes.map { $0.services.peers.keys.map(\.short) })\n\(logs.text)")
        XCTAssertEqual(Set(try claimedNodeIDs(server)), Set(nodes.map(\.id.hex)))
        XCTAssertTrue(logs.contains("pausing this relay"), "the dead relay was backed off from")
        for node in nodes { node.instance.shutdown() }
        nodes = []
        await relay.stop()
    }

    func testEmptyPassphraseMakesNoRequests() async throws {
        let idleServer = PkarrRelayServer()
        let idleRelay = try await idleServer.start()
        let busyServer = PkarrRelayServer()
        let busyRelay = try await busyServer.start()
        try startNode(0, passphrase: "", settings: fastSettings([idleRelay.url]))
        // A node with a passphrase, started later, shows how much time passed: once it has scanned
        // every slot twice, the idle node would have made requests too if it were going to.
        try startNode(1, passphrase: "some passphrase", settings: fastSettings([busyRelay.url]))
        let busy = await eventually(timeout: 20) { busyServer.statistics.snapshot().count(method: "GET") >= 16 }
        XCTAssertTrue(busy, logs.text)
        XCTAssertEqual(idleServer.statistics.snapshot().total, 0)
        XCTAssertTrue(logs.contains("sync_passphrase is empty"), logs.text)
        XCTAssertTrue(nodes[0].services.all.isEmpty)
        for node in nodes { node.instance.shutdown() }
        nodes = []
        await idleRelay.stop()
        await busyRelay.stop()
    }

    func testSettingsAreValidated() throws {
        let plugin = try PluginLoader.load(path: BuildProducts.plugin("PkarrDiscovery"))
        let keyPair = Ed25519KeyPair.random()
        let identity = NodeIdentityView(nodeID: NodeID(bytes: keyPair.publicKey.bytes), secretKey: keyPair.secretKey,
                                        syncPassphrase: "x", dataDirectory: NSTemporaryDirectory())
        let cases = [
            (#"{"relay":["http://127.0.0.1:1"]}"#, "unknown setting 'relay'"),
            (#"{"relays":["ftp://127.0.0.1:1"]}"#, "not an http:// or https:// URL"),
            (#"{"relays":[]}"#, "at least one relay"),
            (#"{"slots":0}"#, "'slots' must be 1...64"),
            (#"{"ttl_secs":30,"republish_interval_secs":60}"#, "must exceed 'republish_interval_secs'"),
            (#"{"scan_interval_secs":"fast"}"#, "'scan_interval_secs' must be a number"),
        ]
        for (settings, expected) in cases {
            XCTAssertThrowsError(try PluginInstance(plugin: plugin, settingsJSON: settings, identity: identity,
                                                    log: logs.handler(label: "settings"))) { error in
                XCTAssertTrue(String(describing: error).contains(expected), "\(settings): \(error)")
            }
        }
        let defaults = try PluginInstance(plugin: plugin, settingsJSON: "{}", identity: identity, log: logs.handler(label: "settings"))
        defaults.shutdown()
    }
}
