import Foundation
import PluginHost
import TestSupport
import XCTest

/// Idle connections: keep-alive holds a quiet but healthy connection open; without it the idle
/// timeout ends it.
final class KeepAliveTests: XCTestCase {
    func testKeepAliveHoldsAQuietConnectionPastTheIdleTimeout() async throws {
        let server = try makeNode(["idle_timeout_ms": 1500, "keepalive_ms": 200])
        let client = try makeNode(["idle_timeout_ms": 1500, "keepalive_ms": 200])
        serveEcho(on: server)
        let connection = try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        // Absence of a close cannot be polled for: wait out three idle timeouts.
        try await Task.sleep(nanoseconds: 4_500_000_000)
        XCTAssertFalse(connection.isClosed, "keep-alive did not hold the connection open")
        let stream = try await connection.openStream(protocol: "test/echo/1")
        try await stream.write([7])
        try stream.finish()
        let echoed = try await within(10, "echo after the quiet period") { try await stream.readToEnd(limit: 8) }
        XCTAssertEqual(echoed, [7])
    }

    func testWithoutKeepAliveTheIdleTimeoutClosesBothSides() async throws {
        let server = try makeNode(["idle_timeout_ms": 500, "keepalive_ms": 0])
        let client = try makeNode(["idle_timeout_ms": 500, "keepalive_ms": 0])
        let serverEvents = EventRecorder(server.transport)
        let connection = try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        let started = Date()
        let closed = await eventually(timeout: 10) { connection.isClosed && !serverEvents.closed.isEmpty }
        XCTAssertTrue(closed, "the idle connection was not closed on both sides")
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.4, "closed before the idle timeout")
        XCTAssertTrue(serverEvents.closed.first?.contains("idle") == true, "\(serverEvents.closed)")
    }
}
