import Foundation
import PluginHost
import TestSupport
import XCTest

/// The plugin against an independent QUIC implementation (Python aioquic).
final class AioquicInteropTests: XCTestCase {
    func testPluginDialsAioquicAndExchangesStreamData() async throws {
        let server = try await AioquicServer()
        addTeardownBlock { server.stop() }
        let client = try makeNode(["insecure_accept_x509_for_tests": true])
        // aioquic proves no node key, so the test-only mode reports the dialed id as the peer.
        let claimed = try TransportTestNode()
        claimed.shutdown()

        let connection = try await within(20, "handshake with aioquic") {
            try await client.transport.connect(to: claimed.nodeID, addresses: [server.address])
        }
        XCTAssertEqual(connection.peer, claimed.nodeID)

        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let stream = try await connection.openStream(protocol: "interop/echo/1")
        try await stream.write(payload)
        try stream.finish()
        let reply = try await within(30, "aioquic's reply") { try await stream.readToEnd(limit: 1 << 20) }
        let expected = Array("interop/echo/1|".utf8) + payload
        XCTAssertEqual(reply.count, expected.count, "aioquic log: \(server.output)")
        XCTAssertTrue(reply == expected, "aioquic echoed different bytes; its log: \(server.output)")
    }

    func testWithoutTheTestSettingAnX509ServerIsRefused() async throws {
        let server = try await AioquicServer()
        addTeardownBlock { server.stop() }
        let client = try makeNode()
        let claimed = try TransportTestNode()
        claimed.shutdown()
        do {
            _ = try await within(20, "dial to an X.509 server") {
                try await client.transport.connect(to: claimed.nodeID, addresses: [server.address])
            }
            XCTFail("a server with an X.509 certificate was accepted as node \(claimed.nodeID.short)")
        } catch TransportError.dialFailed {}
    }
}
