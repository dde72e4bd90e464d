import Foundation
import PluginHost
import TestSupport
import XCTest

/// Waiting calls give way to task cancellation.
final class StreamCancellationTests: XCTestCase {
    func testCancellingAWaitingReadThrowsAndTheStreamStillWorks() async throws {
        let server = try makeNode()
        let client = try makeNode()
        serveEcho(on: server)
        let connection = try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        let stream = try await connection.openStream(protocol: "test/echo/1")
        let waiting = Task { try await stream.read() }
        waiting.cancel()
        do {
            _ = try await within(5, "a cancelled read") { try await waiting.value }
            XCTFail("a cancelled read returned")
        } catch is CancellationError {}
        try await stream.write([5])
        try stream.finish()
        let echoed = try await within(10, "echo after a cancelled read") { try await stream.readToEnd(limit: 8) }
        XCTAssertEqual(echoed, [5])
    }
}
