import Foundation
import PluginHost
import TestSupport
import XCTest

/// Peers in other processes: a plain two-process exchange, and a peer killed mid-stream.
final class PeerFailureTests: XCTestCase {
    /// Starts `TransportBench serve` in a child process and returns it with its node id and address.
    private func startBenchServer(_ directory: TemporaryDirectory) async throws -> (ChildProcess, NodeID, String) {
        let child = try ChildProcess(BuildProducts.executable("TransportBench"),
                                     ["serve", "--plugin", BuildProducts.plugin("QuicTransport"), "--hash"],
                                     logURL: directory.file("bench-server.log"))
        addTeardownBlock { child.stop() }
        let ready = await eventually(timeout: 20) { child.output.contains("READY ") }
        guard ready, let line = child.output.split(separator: "\n").first(where: { $0.hasPrefix("READY ") }) else {
            throw TimedOut(what: "TransportBench serve (output: \(child.output))", seconds: 20)
        }
        let parts = line.split(separator: " ")
        guard parts.count == 3, let id = NodeID(hex: String(parts[1])) else {
            throw TimedOut(what: "a READY line with a node id and address, got '\(line)'", seconds: 0)
        }
        return (child, id, String(parts[2]))
    }

    func testTwoProcessesExchangeAStreamAndItsDigest() async throws {
        let directory = try TemporaryDirectory("quic-two-process")
        let (_, serverID, address) = try await startBenchServer(directory)
        let client = try makeNode()
        let connection = try await within(20, "dial the child process") {
            try await client.transport.connect(to: serverID, addresses: [address])
        }
        XCTAssertEqual(connection.peer, serverID)
        let stream = try await connection.openStream(protocol: "bench/sink/1")
        var generator = SplitMix(seed: 99)
        let hasher = SHA256Hasher()
        var total = 0
        for _ in 0..<32 {
            let block = generator.bytes(count: 1 << 20)
            hasher.update(block)
            try await stream.write(block)
            total += block.count
        }
        try stream.finish()
        let reply = try await within(60, "the sink's reply") { try await stream.readToEnd(limit: 64) }
        XCTAssertEqual(reply.count, 48)
        XCTAssertEqual(reply[0..<8].reduce(0) { $0 << 8 | Int($1) }, total)
        XCTAssertEqual(Array(reply[8..<40]), hasher.finish(), "the other process hashed different bytes")
    }

    func testPeerKilledMidStreamFailsReadsAndWritesWithinTheIdleTimeout() async throws {
        let directory = try TemporaryDirectory("quic-kill")
        let (child, serverID, address) = try await startBenchServer(directory)
        let client = try makeNode(["idle_timeout_ms": 2000, "keepalive_ms": 500])
        var events = client.transport.events.makeAsyncIterator()
        let connection = try await client.transport.connect(to: serverID, addresses: [address])
        _ = await events.next()

        // One stream the child fills (we read) and one we fill (the child reads).
        let download = try await connection.openStream(protocol: "bench/source/1")
        try await download.write((0..<8).map { UInt8(truncatingIfNeeded: UInt64(1 << 40) >> (56 - 8 * $0)) })
        let upload = try await connection.openStream(protocol: "bench/sink/1")
        _ = try await within(10, "first bytes from the child") { try await download.read() }

        let reader = Task { () -> Error? in
            do {
                while try await download.read() != nil {}
                return nil
            } catch { return error }
        }
        let uploaded = Counter()
        let writer = Task { () -> Error? in
            do {
                while true {
                    try await upload.write([UInt8](repeating: 7, count: 64 << 10))
                    uploaded.add(64 << 10)
                }
            } catch { return error }
        }
        let flowing = await eventually(timeout: 10) { uploaded.value >= 1 << 20 }
        XCTAssertTrue(flowing, "the upload to the child never got going")
        let killedAt = Date()
        child.kill9()

        let readError = try await within(15, "the reader noticing the dead peer") { await reader.value }
        let writeError = try await within(15, "the writer noticing the dead peer") { await writer.value }
        let noticed = Date().timeIntervalSince(killedAt)
        XCTAssertNotNil(readError, "the read ended normally although the peer died")
        XCTAssertNotNil(writeError, "the write ended normally although the peer died")
        XCTAssertLessThan(noticed, 8, "the dead peer was noticed only after \(noticed) s (idle timeout 2 s)")
        guard case .closed(let closed, _, let reason)? = await events.next() else {
            return XCTFail("no closed event for the dead peer")
        }
        XCTAssertEqual(closed.peer, serverID)
        XCTAssertTrue(reason.contains("idle"), reason)
        XCTAssertNil(client.transport.connection(to: serverID))
    }
}
