import Foundation
import PluginHost
import TestSupport
import XCTest

/// Towards a loopback address the transport sends datagrams of `loopback_udp_payload` bytes, not
/// the 1452 a path elsewhere starts from: the relay in between sees every datagram's size.
final class LoopbackPayloadTests: XCTestCase {
    func testBulkDataTowardsLoopbackTravelsInDatagramsOfTheLoopbackPayload() async throws {
        let largest = try await largestDatagramOfAnEcho(settings: [:])
        XCTAssertEqual(largest, 16_384, "the default loopback_udp_payload")
    }

    func testLoopbackPayloadSettingSetsTheDatagramSize() async throws {
        let largest = try await largestDatagramOfAnEcho(settings: ["loopback_udp_payload": 4_000])
        XCTAssertEqual(largest, 4_000)
    }

    func testLoopbackPayloadOutsideItsRangeIsRejectedByName() throws {
        for value in [1_000, 70_000] {
            XCTAssertThrowsError(try TransportTestNode(settings: ["loopback_udp_payload": value])) { error in
                XCTAssertTrue("\(error)".contains("'loopback_udp_payload' must be within 1200...65000"), "\(error)")
            }
        }
    }

    /// Echoes 2 MiB through a relay on 127.0.0.1 between two nodes with `settings` and returns the
    /// largest datagram the relay carried.
    private func largestDatagramOfAnEcho(settings: [String: Any]) async throws -> Int {
        let server = try makeNode(settings)
        let client = try makeNode(settings)
        serveEcho(on: server)
        let proxy = try RebindingProxy(target: server.address)
        addTeardownBlock { proxy.stop() }
        let connection = try await within(10, "dial through the relay") {
            try await client.transport.connect(to: server.nodeID, addresses: [proxy.address])
        }
        let stream = try await connection.openStream(protocol: "test/echo/1")
        var generator = SplitMix(seed: 5)
        let payload = generator.bytes(count: 2 << 20)
        let reader = Task { try await stream.readToEnd(limit: payload.count) }
        try await stream.write(payload)
        try stream.finish()
        let echoed = try await within(30, "the echo") { try await reader.value }
        XCTAssertEqual(echoed, payload)
        return proxy.largestDatagram
    }
}
