import Foundation
import PluginHost
import TestSupport
import XCTest

/// Pins the gossip message encoding with fixed vectors and checks the plugin speaks exactly that format.
final class GossipWireFormatTests: XCTestCase {
    static let topicKey = [UInt8](repeating: 0x42, count: 32)
    static let recipient = [UInt8](repeating: 0x22, count: 32)
    static let sender = [UInt8](repeating: 0x11, count: 32)

    /// JOIN from 11…11 in library "lib-1" at 1700000000000 ms, subject record "127.0.0.1:4000", sealed for 22…22.
    static let joinVector =
        "01010000" + String(repeating: "11", count: 32) + "0000018bcfe56800" + "056c69622d31" + "01"
        + String(repeating: "11", count: 32) + "00000000" + "01" + "0e3132372e302e302e313a34303030"
        + "ac2814589556e29c992aeb90a1a0aa290724b67aa324ef09a75422d5b779aa72"

    /// SHUFFLE with ttl 3, two records (ages 0 and 1500 ms), an IPv6 and two IPv4 addresses.
    static let shuffleVector =
        "01050003" + String(repeating: "11", count: 32) + "0000018bcfe5687b" + "056c69622d31" + "02"
        + String(repeating: "33", count: 32) + "00000000" + "01" + "0a5b3a3a315d3a37303030"
        + String(repeating: "44", count: 32) + "000005dc" + "02" + "0a31302e302e302e323a39" + "0c3132372e302e302e313a3830"
        + "351b9cdb3bddb685a294fa355d2a0667c46b1bfd176dea68e8191fdf7628ad82"

    func testJoinVector() {
        let join = GossipWire(kind: .join, sender: Self.sender, timestamp: 1_700_000_000_000, libraryID: "lib-1",
                              records: [.init(nodeID: Self.sender, ageMilliseconds: 0, addresses: ["127.0.0.1:4000"])])
        XCTAssertEqual(join.sealed(topicKey: Self.topicKey, recipient: Self.recipient).hexString, Self.joinVector)
        XCTAssertEqual(GossipWire(bytes: [UInt8](hex: Self.joinVector)), join)
    }

    func testShuffleVector() {
        let shuffle = GossipWire(kind: .shuffle, ttl: 3, sender: Self.sender, timestamp: 1_700_000_000_123, libraryID: "lib-1", records: [
            .init(nodeID: [UInt8](repeating: 0x33, count: 32), ageMilliseconds: 0, addresses: ["[::1]:7000"]),
            .init(nodeID: [UInt8](repeating: 0x44, count: 32), ageMilliseconds: 1500, addresses: ["10.0.0.2:9", "127.0.0.1:80"]),
        ])
        XCTAssertEqual(shuffle.sealed(topicKey: Self.topicKey, recipient: Self.recipient).hexString, Self.shuffleVector)
        XCTAssertEqual(GossipWire(bytes: [UInt8](hex: Self.shuffleVector)), shuffle)
    }

    /// Every message the plugin sends decodes with the documented format, re-encodes to the same bytes,
    /// names its real sender and a current timestamp, and carries a MAC bound to its recipient.
    func testPluginMessagesFollowTheDocumentedFormat() async throws {
        let network = try DiscoveryTestNetwork(pluginName: "GossipDiscovery")
        defer { network.stopAll() }
        let library = GossipLibrary()
        let nodes = try network.startChain(3, library: library)
        let enough = await eventually(timeout: 10) { Set(network.sent.compactMap { GossipWire(bytes: $0.bytes)?.kind }).count >= 4 }
        XCTAssertTrue(enough, "kinds seen: \(Set(network.sent.compactMap { GossipWire(bytes: $0.bytes)?.kind }))")

        let now = GossipWire.nowMilliseconds
        for message in network.sent {
            guard let wire = GossipWire(bytes: message.bytes) else { return XCTFail("undecodable: \(message.bytes.hexString)") }
            XCTAssertEqual(wire.body() + message.bytes.suffix(32), message.bytes)
            XCTAssertEqual(wire.sender, message.from.bytes)
            XCTAssertEqual(wire.libraryID, library.id)
            XCTAssertLessThan(now - min(now, wire.timestamp), 30_000)
            XCTAssertFalse(wire.records.isEmpty)
            XCTAssertEqual(Array(message.bytes.suffix(32)),
                           GossipWire.mac(topicKey: library.topicKey, recipient: message.to.bytes, body: wire.body()))
        }
        XCTAssertEqual(nodes.count, 3)
    }
}
