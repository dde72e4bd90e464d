import Foundation
import PluginHost
import TestSupport
import XCTest

/// A peer-opened stream begins with its protocol tag header; a peer that ends a stream before the
/// header is complete gets the stream reset and nothing else: no crash, no stream for the host.
final class StreamHeaderTests: XCTestCase {
    func testStreamsEndingInsideTheirTagHeaderAreResetAndTheServerKeepsServing() async throws {
        let server = try makeNode()
        serveEcho(on: server)
        // A stream must not reach the host under an empty or cut-short tag.
        let misreported = Counter()
        for name in ["", "t", "te"] {
            server.transport.handle(protocol: name) { stream in
                misreported.add(1)
                stream.reset(code: 99)
            }
        }

        // One connection, three streams: only FIN; 2 of 5 announced tag bytes, then FIN; a normal echo.
        let raw = try await within(20, "the raw client") {
            try await RawQuicClient.run(server.address, ["empty", "partial", "echo"])
        }
        XCTAssertEqual(raw.status, 0, raw.output)
        XCTAssertTrue(raw.output.contains("handshake ok"), raw.output)
        XCTAssertTrue(raw.output.contains("stream empty reset 1\n"), raw.output)
        XCTAssertTrue(raw.output.contains("stream partial reset 1\n"), raw.output)
        XCTAssertTrue(raw.output.contains("stream echo finished received 'ping'\n"), raw.output)
        XCTAssertEqual(misreported.value, 0, "a stream with an incomplete tag header reached the host")

        // The endpoint still serves a new connection from a regular node.
        let client = try makeNode()
        let connection = try await within(10, "dial after the raw client") {
            try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        }
        let stream = try await connection.openStream(protocol: "test/echo/1")
        try await stream.write(Array("still here".utf8))
        try stream.finish()
        let echoed = try await within(10, "echo after the raw client") { try await stream.readToEnd(limit: 64) }
        XCTAssertEqual(echoed, Array("still here".utf8))
    }
}
