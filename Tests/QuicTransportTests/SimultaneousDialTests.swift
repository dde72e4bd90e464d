import Foundation
import PluginHost
import TestSupport
import XCTest

/// Two nodes dialing each other at the same moment end up sharing one connection.
final class SimultaneousDialTests: XCTestCase {
    func testSimultaneousDialEndsWithOneConnection() async throws {
        for round in 0..<5 {
            let a = try makeNode()
            let b = try makeNode()
            serveEcho(on: a)
            serveEcho(on: b)
            _ = try await within(20, "round \(round): both dials") {
                async let fromA = a.transport.connect(to: b.nodeID, addresses: [b.address])
                async let fromB = b.transport.connect(to: a.nodeID, addresses: [a.address])
                _ = try await (fromA, fromB)
            }

            let settled = await eventually(timeout: 10) {
                let onA = a.transport.connections
                let onB = b.transport.connections
                guard onA.count == 1, onB.count == 1 else { return false }
                // The same QUIC connection seen from both ends: one side dialed, the other accepted. When
                // both handshakes raced it is the one the lower node id dialed; when one side's dial started
                // only after the other's connection was up (a slow first dial), that connection is reused.
                return onA[0].incoming != onB[0].incoming
            }
            XCTAssertTrue(settled, "round \(round): A has \(a.transport.connections) (incoming: \(a.transport.connections.map(\.incoming))), "
                          + "B has \(b.transport.connections) (incoming: \(b.transport.connections.map(\.incoming)))")

            for (node, peer) in [(a, b.nodeID), (b, a.nodeID)] {
                let connection = try XCTUnwrap(node.transport.connection(to: peer))
                let stream = try await connection.openStream(protocol: "test/echo/1")
                try await stream.write(Array("round \(round)".utf8))
                try stream.finish()
                let echoed = try await within(10, "echo over the surviving connection") { try await stream.readToEnd(limit: 64) }
                XCTAssertEqual(String(decoding: echoed, as: UTF8.self), "round \(round)")
            }
            a.shutdown()
            b.shutdown()
        }
    }
}
