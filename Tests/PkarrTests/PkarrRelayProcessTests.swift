import Foundation
import Pkarr
import PkarrRelay
import TestSupport
import XCTest

/// The `pkarr-relay` executable over real HTTP: status codes, size limits, ordering and fault switches.
final class PkarrRelayProcessTests: XCTestCase {
    private var relay: ChildProcess?
    private var directory: TemporaryDirectory?
    private var base = ""

    private func startRelay(_ extra: [String] = []) async throws {
        relay?.stop()
        let directory = try self.directory ?? TemporaryDirectory("pkarr-relay")
        let port = LoopbackPorts.freeTCPPort()
        let relay = try ChildProcess(BuildProducts.executable("pkarr-relay"),
                                     ["--host", "127.0.0.1", "--port", String(port)] + extra,
                                     logURL: directory.file("relay.log"))
        self.directory = directory
        self.relay = relay
        base = "http://127.0.0.1:\(port)"
        let ready = await eventually(timeout: 15) { relay.output.contains("listening on http://127.0.0.1:\(port)") }
        XCTAssertTrue(ready, "pkarr-relay did not start: \(relay.output)")
    }

    override func tearDown() {
        relay?.stop()
        relay = nil
        directory = nil
    }

    private var zeroKey: Ed25519KeyPair { Ed25519KeyPair(seed: [UInt8](repeating: 0, count: 32)) }

    private func packet(_ keyPair: Ed25519KeyPair, _ timestamp: UInt64, _ text: String = "bar") throws -> SignedPacket {
        try SignedPacket(keyPair: keyPair, timestamp: timestamp, records: [DNSRecord(name: "foo", ttl: 30, data: .txt(text))])
    }

    func testPutGetStatusCodes() async throws {
        try await startRelay()
        let key = zeroKey.publicKey.zBase32
        let vector = [UInt8](hexEncoded: SignedPacketTests.pkarrVectorPayload)!

        var reply = try await HTTPExchange.send("GET", "\(base)/\(key)")
        XCTAssertEqual(reply.status, 404, "nothing stored yet")

        reply = try await HTTPExchange.send("PUT", "\(base)/\(key)", body: vector)
        XCTAssertEqual(reply.status, 204)
        reply = try await HTTPExchange.send("GET", "\(base)/\(key)")
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.body, vector)
        XCTAssertEqual(reply.headers["content-type"], "application/pkarr.org/relays#payload")
        XCTAssertEqual(reply.headers["last-modified"], "Wed, 11 Oct 2023 09:33:47 GMT")

        reply = try await HTTPExchange.send("PUT", "\(base)/\(key)", body: vector)
        XCTAssertEqual(reply.status, 204, "the same bytes again are accepted")
        let older = try packet(zeroKey, 1_697_016_827_302_999)
        reply = try await HTTPExchange.send("PUT", "\(base)/\(key)", body: older.relayPayload)
        XCTAssertEqual(reply.status, 409, "an older timestamp loses")
        let newer = try packet(zeroKey, 1_697_016_827_303_001, "newer")
        reply = try await HTTPExchange.send("PUT", "\(base)/\(key)", body: newer.relayPayload)
        XCTAssertEqual(reply.status, 204)
        reply = try await HTTPExchange.send("GET", "\(base)/\(key)")
        XCTAssertEqual(reply.body, newer.relayPayload)

        var tampered = newer.relayPayload
        tampered[10] ^= 0x40
        reply = try await HTTPExchange.send("PUT", "\(base)/\(key)", body: tampered)
        XCTAssertEqual(reply.status, 400, "bad signature")
        let otherKey = Ed25519KeyPair(seed: Array(0..<32)).publicKey.zBase32
        reply = try await HTTPExchange.send("PUT", "\(base)/\(otherKey)", body: newer.relayPayload)
        XCTAssertEqual(reply.status, 400, "signature by another key")
        reply = try await HTTPExchange.send("PUT", "\(base)/\(key)", body: Array(newer.relayPayload.prefix(70)))
        XCTAssertEqual(reply.status, 400, "shorter than signature and timestamp")
        reply = try await HTTPExchange.send("GET", "\(base)/not-a-key")
        XCTAssertEqual(reply.status, 400, "bad z-base-32")

        let dns1001 = [0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 989)
        reply = try await HTTPExchange.send("PUT", "\(base)/\(key)", body: [UInt8](repeating: 0, count: 72) + dns1001)
        XCTAssertEqual(reply.status, 413, "DNS part of 1001 bytes")
        reply = try await HTTPExchange.send("PUT", "\(base)/\(key)", body: [UInt8](repeating: 1, count: 5000))
        XCTAssertEqual(reply.status, 413, "body far above the limit")

        reply = try await HTTPExchange.send("GET", "\(base)/\(key)")
        XCTAssertEqual(reply.body, newer.relayPayload, "refused PUTs left the stored packet alone")

        reply = try await HTTPExchange.send("GET", "\(base)/_stats")
        XCTAssertEqual(reply.status, 200)
        let stats = try JSONDecoder().decode(RelayStatistics.Snapshot.self, from: Data(reply.body))
        XCTAssertEqual(stats.counts[key]?["GET"], 4)
        XCTAssertEqual(stats.counts[key]?["PUT"], 8)
        XCTAssertEqual(stats.count(method: "PUT"), 9)
        XCTAssertEqual(stats.total, 14)
        XCTAssertEqual(stats.requests.map(\.status), [404, 204, 200, 204, 409, 204, 200, 400, 400, 400, 400, 413, 413, 200],
                       "the log lists statuses in arrival order")
    }

    func testInjected429And500() async throws {
        try await startRelay(["--inject-429-every", "2", "--retry-after", "7"])
        let key = zeroKey.publicKey.zBase32
        var reply = try await HTTPExchange.send("GET", "\(base)/\(key)")
        XCTAssertEqual(reply.status, 404)
        reply = try await HTTPExchange.send("GET", "\(base)/\(key)")
        XCTAssertEqual(reply.status, 429)
        XCTAssertEqual(reply.headers["retry-after"], "7")
        reply = try await HTTPExchange.send("PUT", "\(base)/\(key)", body: try packet(zeroKey, 5).relayPayload)
        XCTAssertEqual(reply.status, 204)
        reply = try await HTTPExchange.send("PUT", "\(base)/\(key)", body: try packet(zeroKey, 6).relayPayload)
        XCTAssertEqual(reply.status, 429, "the 4th request is the 2nd multiple of 2")

        reply = try await HTTPExchange.send("PUT", "\(base)/_faults", json: #"{"inject_500_every": 1}"#)
        XCTAssertEqual(reply.status, 200)
        reply = try await HTTPExchange.send("GET", "\(base)/\(key)")
        XCTAssertEqual(reply.status, 500)
        reply = try await HTTPExchange.send("PUT", "\(base)/_faults", json: "{}")
        XCTAssertEqual(reply.status, 200)
        reply = try await HTTPExchange.send("GET", "\(base)/\(key)")
        XCTAssertEqual(reply.status, 200)

        reply = try await HTTPExchange.send("GET", "\(base)/_stats")
        let stats = try JSONDecoder().decode(RelayStatistics.Snapshot.self, from: Data(reply.body))
        XCTAssertEqual(stats.requests.map(\.status), [404, 429, 204, 429, 500, 200])
        reply = try await HTTPExchange.send("DELETE", "\(base)/_stats")
        XCTAssertEqual(reply.status, 204)
        reply = try await HTTPExchange.send("GET", "\(base)/_stats")
        XCTAssertEqual(try JSONDecoder().decode(RelayStatistics.Snapshot.self, from: Data(reply.body)).total, 0)
    }

    func testStorageDirectoryKeepsPacketsAcrossRestarts() async throws {
        let storage = try TemporaryDirectory("pkarr-relay-storage")
        try await startRelay(["--storage-dir", storage.path])
        let keyPair = Ed25519KeyPair.random()
        let url = "\(base)/\(keyPair.publicKey.zBase32)"
        let signed = try packet(keyPair, PkarrClock.nowMicroseconds())
        var reply = try await HTTPExchange.send("PUT", url, body: signed.relayPayload)
        XCTAssertEqual(reply.status, 204)
        try "not a packet".write(to: storage.file(zeroKey.publicKey.zBase32), atomically: true, encoding: .utf8)

        try await startRelay(["--storage-dir", storage.path])
        reply = try await HTTPExchange.send("GET", "\(base)/\(keyPair.publicKey.zBase32)")
        XCTAssertEqual(reply.status, 200, relay?.output ?? "")
        XCTAssertEqual(reply.body, signed.relayPayload)
        reply = try await HTTPExchange.send("GET", "\(base)/\(zeroKey.publicKey.zBase32)")
        XCTAssertEqual(reply.status, 404, "a corrupt file is skipped")
        reply = try await HTTPExchange.send("PUT", "\(base)/\(keyPair.publicKey.zBase32)",
                                            body: try packet(keyPair, signed.timestamp - 1).relayPayload)
        XCTAssertEqual(reply.status, 409, "the reloaded packet still wins over an older one")
    }

    func testEmbeddedRelayServesInProcess() async throws {
        let server = PkarrRelayServer()
        let running = try await server.start()
        let keyPair = Ed25519KeyPair.random()
        let signed = try packet(keyPair, PkarrClock.nowMicroseconds())
        let put = try await HTTPExchange.send("PUT", "\(running.url)/\(keyPair.publicKey.zBase32)", body: signed.relayPayload)
        XCTAssertEqual(put.status, 204)
        XCTAssertEqual(server.store.get(keyPair.publicKey), signed)
        XCTAssertEqual(server.statistics.snapshot().count(method: "PUT", key: keyPair.publicKey.zBase32), 1)
        await running.stop()
        await XCTAssertThrowsErrorAsync(try await HTTPExchange.send("GET", "\(running.url)/\(keyPair.publicKey.zBase32)"),
                                        "the relay stopped listening")
    }
}

func XCTAssertThrowsErrorAsync<T>(_ expression: @autoclosure () async throws -> T, _ message: String,
                                  file: StaticString = #filePath, line: UInt = #line) async {
    do {
        _ = try await expression()
        XCTFail("expected an error: \(message)", file: file, line: line)
    } catch {}
}
