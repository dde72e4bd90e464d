import CPluginAPI
import Foundation
import Pkarr
import PkarrRelay
import PluginHost
import TestSupport
import XCTest

/// One plugin node against slots the test fills itself with packets signed by the passphrase's slot
/// keys: which slot it claims, the timestamp it claims with, and how it yields a slot to a live node.
final class PkarrSlotClaimTests: XCTestCase {
    private let passphrase = "slot claim passphrase"
    private let logs = LogRecorder()
    private var node: PkarrPluginNode?
    private var directory: TemporaryDirectory?

    override func tearDown() {
        node?.instance.shutdown()
        node = nil
        directory = nil
    }

    private func announcement(_ keyPair: Ed25519KeyPair, _ timestamp: UInt64, nodeID: [UInt8]?, port: Int = 9000) throws -> SignedPacket {
        let records = nodeID.map { id in
            [DNSRecord(name: "_can-sync", ttl: 30, data: .txt("id=\(id.hexEncoded)")),
             DNSRecord(name: "_can-sync", ttl: 30, data: .txt("addr=127.0.0.2:\(port)")),
             // Malformed addresses must never reach the host.
             DNSRecord(name: "_can-sync", ttl: 30, data: .txt("addr=127.0.0.300:1")),
             DNSRecord(name: "_can-sync", ttl: 30, data: .txt("addr=[::1]:70000"))]
        } ?? [DNSRecord(name: "_can-sync", ttl: 30, data: .txt("hello=world"))]
        return try SignedPacket(keyPair: keyPair, timestamp: timestamp, records: records)
    }

    private func holder(_ server: PkarrRelayServer, _ slot: Ed25519KeyPair) -> String? {
        server.store.get(slot.publicKey)?.announcedNodeID
    }

    /// Slot keys of a fixed passphrase, computed with PyNaCl from the documented KDF parameters.
    func testSlotKeyVector() {
        let slots = SlotKeyDerivation.keys(passphrase: passphrase, count: 8)
        XCTAssertEqual(slots[0].publicKey.zBase32, "5gfssygowj4ht1e5qmz4ys3imqwwj4ai7578otgcqqyzanhynhco")
        XCTAssertEqual(slots[7].publicKey.zBase32, "ayowwsjwr4z6njqnws3sfkywktuu6m3qqz3cggsyd74pd4omq6ey")
    }

    func testClaimsTheOnlyFreeSlotOverAFutureTimestampAndYieldsToALiveNode() async throws {
        let slots = SlotKeyDerivation.keys(passphrase: passphrase, count: 8)
        let server = PkarrRelayServer()
        let relay = try await server.start()
        let now = PkarrClock.nowMicroseconds()
        var others: [NodeID: [String]] = [:]
        for slot in 0..<7 {
            let id = Ed25519KeyPair.random().publicKey.bytes
            others[NodeID(bytes: id)] = ["127.0.0.2:\(9000 + slot)"]
            XCTAssertEqual(try server.store.put(try announcement(slots[slot], now, nodeID: id, port: 9000 + slot)), .stored)
        }
        // Slot 7 holds no node, but its timestamp is an hour ahead: only max(now, seen + 1) can replace it.
        let future = now + 3_600_000_000
        XCTAssertEqual(try server.store.put(try announcement(slots[7], future, nodeID: nil)), .stored)

        let directory = try TemporaryDirectory("pkarr-claim")
        self.directory = directory
        let node = try PkarrPluginNode.start(
            settingsJSON: #"{"relays":["\#(relay.url)"],"scan_interval_secs":1,"republish_interval_secs":2,"ttl_secs":30}"#,
            passphrase: passphrase, addresses: ["127.0.0.1:7100"], directory: directory, log: logs.handler(label: "node"))
        self.node = node
        let (me, services) = (node.id, node.services)

        let claimed = await eventually(timeout: 20) { holder(server, slots[7]) == me.hex }
        XCTAssertTrue(claimed, "slot 7 holder: \(holder(server, slots[7]) ?? "none")\n\(logs.text)")
        XCTAssertGreaterThan(server.store.get(slots[7].publicKey)?.timestamp ?? 0, future)
        let reported = await eventually(timeout: 10) { services.peers == others }
        XCTAssertTrue(reported, "reported \(services.peers.count) of \(others.count) nodes\n\(logs.text)")
        for slot in 0..<7 { XCTAssertNotEqual(holder(server, slots[slot]), me.hex, "slot \(slot) belongs to a live node") }

        // A live node takes slot 7 with a newer packet, and slot 2 is freed (newer packet without a node id).
        let usurper = Ed25519KeyPair.random().publicKey.bytes
        let taken = try announcement(slots[7], server.store.get(slots[7].publicKey)!.timestamp + 1, nodeID: usurper, port: 9100)
        XCTAssertEqual(try server.store.put(taken), .stored)
        XCTAssertEqual(try server.store.put(try announcement(slots[2], PkarrClock.nowMicroseconds() + 1, nodeID: nil)), .stored)

        let moved = await eventually(timeout: 20) { holder(server, slots[2]) == me.hex }
        XCTAssertTrue(moved, "slot 2 holder: \(holder(server, slots[2]) ?? "none")\n\(logs.text)")
        XCTAssertEqual(server.store.get(slots[7].publicKey), taken, "the node left slot 7 to the live node")
        let sawUsurper = await eventually(timeout: 10) { services.peers[NodeID(bytes: usurper)] == ["127.0.0.2:9100"] }
        XCTAssertTrue(sawUsurper)
        XCTAssertNil(services.peers[me])

        node.instance.shutdown()
        self.node = nil
        await relay.stop()
    }
}
