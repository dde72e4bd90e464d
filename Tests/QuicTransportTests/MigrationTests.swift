import Foundation
import PluginHost
import TestSupport
import XCTest

/// A NAT rebinding in the middle of a transfer: the client's packets start coming from another
/// port, and the connection follows them.
final class MigrationTests: XCTestCase {
    func testConnectionSurvivesTheClientAddressChangingMidStream() async throws {
        let server = try makeNode()
        let client = try makeNode()
        serveEcho(on: server)
        let proxy = try RebindingProxy(target: server.address)
        addTeardownBlock { proxy.stop() }
        let connection = try await within(10, "dial through the proxy") {
            try await client.transport.connect(to: server.nodeID, addresses: [proxy.address])
        }
        let accepted = await eventually { server.transport.connection(to: client.nodeID) != nil }
        XCTAssertTrue(accepted, "the server never reported the connection")
        let before = try XCTUnwrap(server.transport.connection(to: client.nodeID))
        XCTAssertEqual(try before.info().remoteAddress, proxy.upstreamAddress)

        let stream = try await connection.openStream(protocol: "test/echo/1")
        var generator = SplitMix(seed: 11)
        let payload = generator.bytes(count: 4 << 20)
        let reader = Task { try await stream.readToEnd(limit: payload.count) }
        try await stream.write(Array(payload[0..<(2 << 20)]))
        let oldUpstream = proxy.upstreamAddress
        proxy.rebind()
        XCTAssertNotEqual(proxy.upstreamAddress, oldUpstream)
        try await stream.write(Array(payload[(2 << 20)...]))
        try stream.finish()
        let echoed = try await within(30, "echo across the rebinding") { try await reader.value }
        XCTAssertTrue(echoed == payload, "the echo differs after the address change")
        let moved = await eventually(timeout: 10) { (try? before.info().remoteAddress) == proxy.upstreamAddress }
        XCTAssertTrue(moved, "the server still sends to \((try? before.info().remoteAddress) ?? "?"), not \(proxy.upstreamAddress)")
        XCTAssertFalse(before.isClosed)
    }
}
