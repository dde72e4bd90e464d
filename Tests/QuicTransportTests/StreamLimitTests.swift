import Foundation
import PluginHost
import TestSupport
import XCTest

/// The peer's stream limit is a limit on open streams, not on streams ever opened.
final class StreamLimitTests: XCTestCase {
    func testFinishedStreamsMakeRoomForNewOnesBeyondTheLimit() async throws {
        let server = try makeNode(["max_streams": 4])
        let client = try makeNode(["max_streams": 4])
        serveEcho(on: server)
        serveEcho(on: client)
        let connection = try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        try await within(30, "40 sequential streams each way with a limit of 4") {
            for number in 0..<40 {
                let stream = try await connection.openStream(protocol: "test/echo/1")
                try await stream.write([UInt8(number)])
                try stream.finish()
                let echoed = try await stream.readToEnd(limit: 8)
                XCTAssertEqual(echoed, [UInt8(number)])
            }
        }
        // The other direction: the server opens streams to the client.
        let serverSide = try XCTUnwrap(server.transport.connection(to: client.nodeID))
        try await within(30, "40 streams the other way") {
            for number in 0..<40 {
                let stream = try await serverSide.openStream(protocol: "test/echo/1")
                try await stream.write([UInt8(number)])
                try stream.finish()
                let echoed = try await stream.readToEnd(limit: 8)
                XCTAssertEqual(echoed, [UInt8(number)])
            }
        }
    }
}
