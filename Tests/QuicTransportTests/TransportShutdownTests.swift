import Foundation
import PluginHost
import TestSupport
import XCTest

/// Shutting a transport down ends everything that runs over it, without touching freed plugin state.
final class TransportShutdownTests: XCTestCase {
    func testShutdownFailsOpenStreamsAndLaterCalls() async throws {
        let server = try makeNode()
        let client = try makeNode()
        let accepted = StreamBox()
        server.transport.handle(protocol: "test/hold/1") { stream in accepted.set(stream) }
        let events = EventRecorder(server.transport)
        let connection = try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        let stream = try await connection.openStream(protocol: "test/hold/1")
        try await stream.write([1])
        let arrived = await eventually { accepted.value != nil }
        XCTAssertTrue(arrived)

        client.shutdown()
        do {
            _ = try await within(5, "read after shutdown") { try await stream.read() }
            XCTFail("a stream read succeeded after its transport shut down")
        } catch is TransportError {}
        do {
            try await stream.write([2])
            XCTFail("a stream write succeeded after its transport shut down")
        } catch is TransportError {}
        XCTAssertTrue(connection.isClosed)
        do {
            _ = try await client.transport.connect(to: server.nodeID, addresses: [server.address])
            XCTFail("connect succeeded after shutdown")
        } catch is TransportError {}
        // The peer hears about it at once (CONNECTION_CLOSE), not after its idle timeout.
        let heard = await eventually(timeout: 5) { !events.closed.isEmpty }
        XCTAssertTrue(heard, "the server never saw the connection close")
    }
}
