import Foundation
import PluginHost
import TestSupport
import XCTest

/// Datagrams no well-behaved peer sends: the endpoint answers what QUIC says to answer and keeps
/// serving everyone else.
final class HostileDatagramTests: XCTestCase {
    func testGarbageDatagramsNeitherCrashNorStallTheEndpoint() async throws {
        let server = try makeNode()
        let client = try makeNode()
        serveEcho(on: server)
        let sender = try UDPProbe()
        var generator = SplitMix(seed: 3)
        for size in [0, 1, 5, 20, 21, 43, 100, 1199, 1200, 1500, 9000] {
            for _ in 0..<20 {
                var datagram = generator.bytes(count: size)
                // Every header form: short header, long header with v1, and unknown versions.
                if size > 4 {
                    switch generator.bytes(count: 1)[0] % 3 {
                    case 0: datagram[0] &= 0x7f
                    case 1: datagram[0] |= 0xc0; datagram[1...4] = [0, 0, 0, 1]
                    default: datagram[0] |= 0x80
                    }
                }
                try sender.send(datagram, to: server.address)
            }
        }
        let connection = try await within(10, "dial after the garbage") {
            try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        }
        let stream = try await connection.openStream(protocol: "test/echo/1")
        try await stream.write(Array("still alive".utf8))
        try stream.finish()
        let echoed = try await within(10, "echo after the garbage") { try await stream.readToEnd(limit: 64) }
        XCTAssertEqual(String(decoding: echoed, as: UTF8.self), "still alive")
    }

    func testUnknownVersionGetsVersionNegotiation() async throws {
        let server = try makeNode()
        let probe = try UDPProbe()
        // A long-header Initial-sized packet for version 0x1a2a3a4a with 8-byte connection ids.
        var packet: [UInt8] = [0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8] + [UInt8](repeating: 0xd1, count: 8) + [8]
            + [UInt8](repeating: 0x5c, count: 8)
        packet += [UInt8](repeating: 0, count: 1200 - packet.count)
        try probe.send(packet, to: server.address)
        let reply = try XCTUnwrap(probe.receive(timeout: 5), "no Version Negotiation packet came back")
        XCTAssertGreaterThanOrEqual(reply.count, 7 + 8 + 8 + 4)
        XCTAssertEqual(reply[0] & 0x80, 0x80, "a Version Negotiation packet has a long header")
        XCTAssertEqual(Array(reply[1...4]), [0, 0, 0, 0], "a Version Negotiation packet carries version 0")
        // Its destination id echoes our source id, and it offers QUIC v1.
        XCTAssertEqual(Array(reply[6..<14]), [UInt8](repeating: 0x5c, count: 8))
        let versions = reply[(6 + 8 + 1 + 8)...]
        XCTAssertTrue(stride(from: versions.startIndex, to: versions.endIndex, by: 4).contains {
            Array(reply[$0..<$0 + 4]) == [0, 0, 0, 1]
        }, "QUIC v1 is not offered: \(reply)")
    }

    func testRestartedPeerResetsTheOldConnectionStatelessly() async throws {
        let directory = try TemporaryDirectory("quic-reset")
        let seed = String(repeating: "ab", count: 32)
        let port = LoopbackPorts.freeTCPPort()
        func startServer(_ name: String) async throws -> ChildProcess {
            let child = try ChildProcess(
                BuildProducts.executable("TransportBench"),
                ["serve", "--plugin", BuildProducts.plugin("QuicTransport"), "--seed", seed, "--bind", "127.0.0.1:\(port)"],
                logURL: directory.file(name))
            addTeardownBlock { child.stop() }
            let ready = await eventually(timeout: 20) { child.output.contains("READY ") }
            if !ready { throw TimedOut(what: "TransportBench serve (\(child.output))", seconds: 20) }
            return child
        }
        let first = try await startServer("first.log")
        let line = try XCTUnwrap(first.output.split(separator: "\n").first { $0.hasPrefix("READY ") })
        let serverID = try XCTUnwrap(NodeID(hex: String(line.split(separator: " ")[1])))

        let client = try makeNode(["idle_timeout_ms": 60_000])
        let events = EventRecorder(client.transport)
        let connection = try await client.transport.connect(to: serverID, addresses: ["127.0.0.1:\(port)"])
        first.kill9()
        _ = try await startServer("second.log")

        // The restarted node has the same key but no memory of the connection: the next packet
        // we send makes it answer with a stateless reset, long before the 60 s idle timeout.
        let started = Date()
        let stream = try await connection.openStream(protocol: "bench/echo/1")
        try? await stream.write([1, 2, 3])
        let closed = await eventually(timeout: 15) { !events.closed.isEmpty }
        XCTAssertTrue(closed, "the old connection was not closed")
        XCTAssertTrue(events.closed.first?.contains("stateless reset") == true, "\(events.closed)")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        // And a fresh dial reaches the restarted node.
        let again = try await within(10, "dial the restarted node") {
            try await client.transport.connect(to: serverID, addresses: ["127.0.0.1:\(port)"])
        }
        XCTAssertEqual(again.peer, serverID)
    }
}
