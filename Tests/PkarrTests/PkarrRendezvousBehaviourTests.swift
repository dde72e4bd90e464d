import CPluginAPI
import Foundation
import Pkarr
import PkarrRelay
import PluginHost
import TestSupport
import XCTest

/// One node (libPkarrDiscovery.so loaded with dlopen) against an in-process relay whose slots the test
/// fills itself: liveness judged from the signed timestamp, slot reads spread across the scan window,
/// and a claim read back from a relay that answers PUT with success but keeps the older packet.
final class PkarrRendezvousBehaviourTests: XCTestCase {
    private let passphrase = "rendezvous behaviour passphrase"
    private static let minute: UInt64 = 60_000_000
    private let logs = LogRecorder()
    private var node: PkarrPluginNode?
    private var directory: TemporaryDirectory?

    override func tearDown() {
        node?.instance.shutdown()
        node = nil
        directory = nil
    }

    private func announcement(_ slot: Ed25519KeyPair, _ timestamp: UInt64, nodeID: [UInt8], port: Int) throws -> SignedPacket {
        try SignedPacket(keyPair: slot, timestamp: timestamp, records: [
            DNSRecord(name: "_can-sync", ttl: 300, data: .txt("id=\(nodeID.hexEncoded)")),
            DNSRecord(name: "_can-sync", ttl: 300, data: .txt("addr=127.0.0.2:\(port)")),
        ])
    }

    private func holder(_ server: PkarrRelayServer, _ slot: Ed25519KeyPair) -> String? {
        server.store.get(slot.publicKey)?.announcedNodeID
    }

    /// Stores a validly signed announcement of a new random node in `slot`, `age` microseconds old;
    /// returns the node and the addresses it announces.
    @discardableResult
    private func occupy(_ server: PkarrRelayServer, _ slots: [Ed25519KeyPair], _ slot: Int, age: UInt64) throws -> (NodeID, [String]) {
        let id = Ed25519KeyPair.random().publicKey.bytes
        let port = 9000 + slot
        XCTAssertEqual(try server.store.put(try announcement(slots[slot], PkarrClock.nowMicroseconds() - age, nodeID: id, port: port)), .stored)
        return (NodeID(bytes: id), ["127.0.0.2:\(port)"])
    }

    /// Loads the plugin and starts one node on `relay` with `settings` (JSON without the relays key).
    private func startNode(_ relay: RunningPkarrRelay, _ settings: String) throws -> (NodeID, RecordingDiscoveryServices) {
        let directory = try TemporaryDirectory("pkarr-behaviour")
        self.directory = directory
        let node = try PkarrPluginNode.start(settingsJSON: #"{"relays":["\#(relay.url)"],\#(settings)}"#, passphrase: passphrase,
                                             addresses: ["127.0.0.1:7200"], directory: directory, log: logs.handler(label: "node"))
        self.node = node
        return (node.id, node.services)
    }

    private func stopNode() {
        node?.instance.shutdown()
        node = nil
    }

    /// A slot whose validly signed packet is older than the TTL is free and its node is not a peer;
    /// packets younger than the TTL are live, and their nodes are reported.
    func testLivenessComesFromTheSignedTimestamp() async throws {
        let slots = SlotKeyDerivation.keys(passphrase: passphrase, count: 8)
        let server = PkarrRelayServer()
        let relay = try await server.start()
        var live: [NodeID: [String]] = [:]
        for slot in [0, 1, 2, 4, 5, 6, 7] {
            // Slot 1's packet is 4 minutes old: inside the 5-minute TTL, so still live.
            let (id, addresses) = try occupy(server, slots, slot, age: slot == 1 ? 4 * Self.minute : 0)
            live[id] = addresses
        }
        // Slot 3 holds a correctly signed packet with a node id, but it was signed 10 minutes ago.
        let (abandoned, _) = try occupy(server, slots, 3, age: 10 * Self.minute)
        let abandonedTimestamp = server.store.get(slots[3].publicKey)!.timestamp

        let (me, services) = try startNode(relay, #""scan_interval_secs":1,"republish_interval_secs":2,"ttl_secs":300"#)

        let claimed = await eventually(timeout: 20) { holder(server, slots[3]) == me.hex }
        XCTAssertTrue(claimed, "the expired slot 3 is free and claimed; holder: \(holder(server, slots[3]) ?? "none")\n\(logs.text)")
        XCTAssertGreaterThan(server.store.get(slots[3].publicKey)?.timestamp ?? 0, abandonedTimestamp)
        let reported = await eventually(timeout: 10) { services.peers == live }
        XCTAssertTrue(reported, "reported \(services.peers.keys.map(\.short)), live \(live.keys.map(\.short))\n\(logs.text)")
        // Another full scan, so a late report of the abandoned node would show.
        try await Task.sleep(nanoseconds: 1_200_000_000)
        XCTAssertFalse(services.all.contains { $0.peer == abandoned }, "the node in the expired packet was reported as a peer")
        XCTAssertNil(services.peers[me])
        XCTAssertFalse(logs.contains("slots are held by live nodes"), logs.text)
        for slot in [0, 1, 2, 4, 5, 6, 7] { XCTAssertNotEqual(holder(server, slots[slot]), me.hex, "slot \(slot) belongs to a live node") }

        stopNode()
        await relay.stop()
    }

    /// With every slot held (so the node only reads), one scan's 8 GETs are spread across the scan
    /// interval, one every interval/8 seconds, rather than fired together.
    func testSlotReadsAreSpreadAcrossTheScanInterval() async throws {
        let slots = SlotKeyDerivation.keys(passphrase: passphrase, count: 8)
        let server = PkarrRelayServer()
        let relay = try await server.start()
        for slot in 0..<8 { try occupy(server, slots, slot, age: 0) }
        let scanInterval = 2.0
        let spacing = scanInterval / 8
        _ = try startNode(relay, #""scan_interval_secs":\#(scanInterval),"republish_interval_secs":60,"ttl_secs":300"#)

        let enough = await eventually(timeout: 20) { server.statistics.snapshot().count(method: "GET") >= 25 }
        stopNode()
        await relay.stop()
        let requests = server.statistics.snapshot().requests
        XCTAssertTrue(enough, "GETs: \(requests.count)\n\(logs.text)")
        XCTAssertFalse(requests.contains { $0.method != "GET" }, "every slot is held, so the node only reads")
        let gets = requests.filter { $0.method == "GET" }
        XCTAssertGreaterThanOrEqual(gets.count, 25)
        for index in 1..<gets.count {
            let gap = gets[index].time - gets[index - 1].time
            XCTAssertGreaterThanOrEqual(gap, 0.4 * spacing, "GET \(index) came \(gap) s after the previous one (spacing \(spacing) s)")
            XCTAssertLessThanOrEqual(gap, 4 * spacing, "GET \(index) came \(gap) s after the previous one (spacing \(spacing) s)")
        }
        for start in stride(from: 0, through: gets.count - 8, by: 8) {
            let scan = gets[start..<start + 8]
            XCTAssertEqual(Set(scan.map(\.key)), Set(slots.map(\.publicKey.zBase32)), "one scan reads every slot once")
            let span = scan.last!.time - scan.first!.time
            XCTAssertGreaterThanOrEqual(span, 0.6 * 7 * spacing, "scan from GET \(start) took \(span) s of a \(scanInterval) s window")
            XCTAssertLessThanOrEqual(span, scanInterval + 1, "scan from GET \(start) took \(span) s of a \(scanInterval) s window")
        }
    }

    /// A relay answers the claim's PUT with 204 but keeps serving the older packet. The node reads the
    /// slot back one read spacing after each PUT, sees the claim did not stick, never counts the slot
    /// as held, and republishes to the same slot after the least publish gap (2 × spacing), with no
    /// storm and no move to another slot. Once the relay stores PUTs again, the claim sticks, the node
    /// holds the slot and stops republishing early.
    func testAClaimTheRelaySilentlyDroppedIsReadBackAndRepublished() async throws {
        let slots = SlotKeyDerivation.keys(passphrase: passphrase, count: 8)
        let server = PkarrRelayServer(faults: RelayFaults(ignorePuts: true))
        let relay = try await server.start()
        for slot in [0, 1, 2, 3, 4, 6, 7] { try occupy(server, slots, slot, age: 0) }
        // Slot 5, the only free one, holds an abandoned packet (older than the TTL) the relay will keep.
        let (abandoned, _) = try occupy(server, slots, 5, age: 10 * Self.minute)
        let stale = server.store.get(slots[5].publicKey)!
        let slot5 = slots[5].publicKey.zBase32
        let scanInterval = 8.0
        let spacing = scanInterval / 8
        let (me, services) = try startNode(relay, #""scan_interval_secs":\#(scanInterval),"republish_interval_secs":60,"ttl_secs":300"#)

        let retried = await eventually(timeout: 40) { server.statistics.snapshot().count(method: "PUT") >= 4 }
        var requests = server.statistics.snapshot().requests
        XCTAssertTrue(retried, "PUTs: \(requests.filter { $0.method == "PUT" }.count)\n\(logs.text)")
        XCTAssertEqual(server.store.get(slots[5].publicKey), stale, "the relay kept the older packet")
        XCTAssertFalse(logs.contains("holding rendezvous slot"), "the node believed it held a slot the relay never stored\n\(logs.text)")
        XCTAssertTrue(logs.contains("slot 5 does not serve this node's packet; republishing"), logs.text)

        let puts = requests.filter { $0.method == "PUT" }
        XCTAssertTrue(puts.allSatisfy { $0.key == slot5 && $0.status == 204 }, "every claim went to slot 5 and was answered 204: \(puts)")
        for (index, put) in puts.enumerated().dropLast() {
            let next = puts[index + 1]
            let readBack = requests.first { $0.method == "GET" && $0.key == slot5 && $0.time > put.time && $0.time <= next.time }
            XCTAssertNotNil(readBack, "no read of slot 5 between PUT \(index) and the retry")
            if let readBack {
                XCTAssertLessThanOrEqual(readBack.time - put.time, 2.5 * spacing,
                                         "PUT \(index) was read back \(readBack.time - put.time) s later, not one read spacing (\(spacing) s) later")
            }
            XCTAssertGreaterThanOrEqual(next.time - put.time, 2 * spacing - 0.2,
                                        "the retry after PUT \(index) came \(next.time - put.time) s later, inside the least publish gap")
            XCTAssertLessThanOrEqual(next.time - put.time, 2 * spacing + 2,
                                     "the retry after PUT \(index) came \(next.time - put.time) s later")
        }

        // The relay stores PUTs again: the next retry sticks and is confirmed by the read-back.
        server.faults = RelayFaults()
        let held = await eventually(timeout: 15) { holder(server, slots[5]) == me.hex && logs.contains("holding rendezvous slot 5") }
        XCTAssertTrue(held, "holder: \(holder(server, slots[5]) ?? "none")\n\(logs.text)")
        let putsWhenHeld = server.statistics.snapshot().count(method: "PUT")
        try await Task.sleep(nanoseconds: UInt64(3 * spacing * 1_000_000_000))
        requests = server.statistics.snapshot().requests
        XCTAssertEqual(requests.filter { $0.method == "PUT" }.count, putsWhenHeld, "a confirmed claim waits for the republish interval")
        XCTAssertTrue(requests.allSatisfy { $0.method == "GET" || $0.key == slot5 }, "the node never moved to another slot")
        XCTAssertFalse(services.all.contains { $0.peer == abandoned }, "the node in the expired packet is not a peer")

        stopNode()
        await relay.stop()
    }

    /// The relay's `ignore_puts` switch over HTTP: PUT answers 204, GET keeps serving the older packet.
    func testRelayIgnorePutsSwitch() async throws {
        let server = PkarrRelayServer()
        let relay = try await server.start()
        let keyPair = Ed25519KeyPair.random()
        let url = "\(relay.url)/\(keyPair.publicKey.zBase32)"
        let first = try announcement(keyPair, PkarrClock.nowMicroseconds(), nodeID: Array(repeating: 1, count: 32), port: 1)
        var reply = try await HTTPExchange.send("PUT", url, body: first.relayPayload)
        XCTAssertEqual(reply.status, 204)

        reply = try await HTTPExchange.send("PUT", "\(relay.url)/_faults", json: #"{"ignore_puts": true}"#)
        XCTAssertEqual(reply.status, 200)
        XCTAssertTrue(server.faults.ignorePuts)
        let newer = try announcement(keyPair, first.timestamp + 1, nodeID: Array(repeating: 2, count: 32), port: 2)
        reply = try await HTTPExchange.send("PUT", url, body: newer.relayPayload)
        XCTAssertEqual(reply.status, 204, "the dropped PUT is answered as a success")
        reply = try await HTTPExchange.send("GET", url)
        XCTAssertEqual(reply.body, first.relayPayload, "the relay kept the older packet")
        var tampered = newer.relayPayload
        tampered[10] ^= 1
        reply = try await HTTPExchange.send("PUT", url, body: tampered)
        XCTAssertEqual(reply.status, 400, "packets are still checked")

        reply = try await HTTPExchange.send("PUT", "\(relay.url)/_faults", json: "{}")
        XCTAssertEqual(reply.status, 200)
        reply = try await HTTPExchange.send("PUT", url, body: newer.relayPayload)
        XCTAssertEqual(reply.status, 204)
        reply = try await HTTPExchange.send("GET", url)
        XCTAssertEqual(reply.body, newer.relayPayload)
        await relay.stop()
    }
}
