import CSodium
import Foundation
import PluginHost
import TestSupport
import XCTest

/// A peer that restarts and dials back replaces the connection it lost, even when the old one
/// would win a simultaneous-dial tie-break and has not yet timed out here.
final class ReconnectTests: XCTestCase {
    func testRestartedPeerDialingBackReplacesTheStaleConnection() async throws {
        let node = try makeNode(["idle_timeout_ms": 60_000])
        // The child's id must sort above ours, so that our stale connection is the one the
        // lower id dialed: the case a plain tie-break would get wrong.
        var seed: [UInt8] = []
        var childID = node.nodeID
        repeat {
            seed = (0..<32).map { _ in UInt8.random(in: 0...255) }
            var publicKey = [UInt8](repeating: 0, count: 32)
            var secretKey = [UInt8](repeating: 0, count: 64)
            crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
            childID = NodeID(bytes: publicKey)
        } while !(node.nodeID < childID)

        let received = Counter()
        node.transport.handle(protocol: "bench/sink/1") { stream in
            while let chunk = try? await stream.read() { received.add(chunk.count) }
        }
        let directory = try TemporaryDirectory("quic-reconnect")
        let plugin = BuildProducts.plugin("QuicTransport")
        let first = try ChildProcess(BuildProducts.executable("TransportBench"),
                                     ["serve", "--plugin", plugin, "--seed", seed.hexString],
                                     logURL: directory.file("first.log"))
        addTeardownBlock { first.stop() }
        let ready = await eventually(timeout: 20) { first.output.contains("READY ") }
        XCTAssertTrue(ready, first.output)
        let line = try XCTUnwrap(first.output.split(separator: "\n").first { $0.hasPrefix("READY ") })
        let stale = try await node.transport.connect(to: childID, addresses: [String(line.split(separator: " ")[2])])
        XCTAssertFalse(stale.incoming)
        first.kill9()

        let second = try ChildProcess(BuildProducts.executable("TransportBench"),
                                      ["send", "--plugin", plugin, "--seed", seed.hexString, "--peer", node.nodeID.hex,
                                       "--address", node.address, "--bytes", "\(1 << 30)"],
                                      logURL: directory.file("second.log"))
        addTeardownBlock { second.stop() }
        let flowing = await eventually(timeout: 15) { received.value >= 64 << 10 }
        XCTAssertTrue(flowing, "the restarted peer's data never arrived; its log: \(second.output)")
        XCTAssertTrue(stale.isClosed, "the stale connection was kept")
        let current = try XCTUnwrap(node.transport.connection(to: childID))
        XCTAssertTrue(current.incoming)
    }
}
