import Foundation
import PluginHost
import TestSupport
import XCTest

/// Streams over one connection: tags, echo, large transfers, backpressure, resets.
final class StreamTests: XCTestCase {
    func testHundredConcurrentStreamsEchoByteExact() async throws {
        let server = try makeNode()
        let client = try makeNode()
        serveEcho(on: server)
        let connection = try await client.transport.connect(to: server.nodeID, addresses: [server.address])

        try await within(60, "100 echo streams") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for number in 0..<100 {
                    group.addTask {
                        // Different sizes and contents per stream, so crossed streams would show.
                        let size = 1 + number * 7919 % 300_000
                        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ number) }
                        let stream = try await connection.openStream(protocol: "test/echo/1")
                        async let sent: Void = {
                            var offset = 0
                            while offset < payload.count {
                                let end = min(payload.count, offset + 16_384)
                                try await stream.write(Array(payload[offset..<end]))
                                offset = end
                            }
                            try stream.finish()
                        }()
                        let echoed = try await stream.readToEnd(limit: payload.count)
                        try await sent
                        XCTAssertEqual(echoed.count, payload.count, "stream \(number) echoed a different length")
                        XCTAssertTrue(echoed == payload, "stream \(number) echoed different bytes")
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    func testTransferOf256MiBArrivesWithTheSameSHA256() async throws {
        let server = try makeNode()
        let client = try makeNode()
        let total = 256 << 20
        let received = ReceivedDigest()
        server.transport.handle(protocol: "test/bulk/1") { stream in
            let hasher = SHA256Hasher()
            var count = 0
            do {
                while let chunk = try await stream.read() {
                    hasher.update(chunk)
                    count += chunk.count
                }
                received.set(count: count, digest: hasher.finish())
                try await stream.write(Array("ok".utf8))
                try stream.finish()
            } catch {
                received.set(count: -1, digest: [])
            }
        }
        let connection = try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        let sentDigest = try await within(240, "256 MiB transfer") {
            let stream = try await connection.openStream(protocol: "test/bulk/1")
            let hasher = SHA256Hasher()
            var generator = SplitMix(seed: 7)
            var sent = 0
            while sent < total {
                // Fresh pseudo-random content per block: a repeated block could hide reordering.
                let block = generator.bytes(count: min(1 << 20, total - sent))
                hasher.update(block)
                try await stream.write(block)
                sent += block.count
            }
            try stream.finish()
            let reply = try await stream.readToEnd(limit: 16)
            XCTAssertEqual(reply, Array("ok".utf8))
            return hasher.finish()
        }
        let (count, digest) = received.value
        XCTAssertEqual(count, total)
        XCTAssertEqual(digest, sentDigest, "SHA-256 of the received bytes differs from what was sent")
    }

    func testWriteSuspendsUntilTheReaderConsumes() async throws {
        let server = try makeNode(["stream_window_bytes": 256 << 10])
        let client = try makeNode(["send_buffer_bytes": 256 << 10])
        let accepted = StreamBox()
        server.transport.handle(protocol: "test/slow/1") { stream in accepted.set(stream) }
        let connection = try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        let stream = try await connection.openStream(protocol: "test/slow/1")
        let progress = Counter()
        let writer = Task {
            for _ in 0..<64 {
                try await stream.write([UInt8](repeating: 1, count: 64 << 10))
                progress.add(64 << 10)
            }
            try stream.finish()
        }
        // Nobody reads: the writer must stall near window + send buffer, far short of 4 MiB.
        let stalled = await eventually(timeout: 10) {
            let before = progress.value
            try? await Task.sleep(nanoseconds: 300_000_000)
            return before == progress.value && before > 0
        }
        XCTAssertTrue(stalled, "the writer never stalled")
        XCTAssertLessThan(progress.value, 1 << 20, "the writer got far past the peer's window without the peer reading")
        let peerStream = try XCTUnwrap(accepted.value)
        let all = try await within(30, "draining the stream") { try await peerStream.readToEnd(limit: 8 << 20) }
        try await writer.value
        XCTAssertEqual(all.count, 64 * (64 << 10))
    }

    func testUnhandledProtocolIsResetAndResetReachesThePeer() async throws {
        let server = try makeNode()
        let client = try makeNode()
        let accepted = StreamBox()
        server.transport.handle(protocol: "test/hold/1") { stream in accepted.set(stream) }
        let connection = try await client.transport.connect(to: server.nodeID, addresses: [server.address])

        let unknown = try await connection.openStream(protocol: "test/nobody-serves-this")
        // The stream's opening names its protocol, so the peer may have refused it (STOP_SENDING)
        // before this write: then the write fails, and the read below still sees the reset.
        try? await unknown.write([1, 2, 3])
        do {
            _ = try await within(10, "reading an unhandled stream") { try await unknown.read() }
            XCTFail("an unhandled protocol's stream was not reset")
        } catch TransportError.streamReset(_, let code) {
            XCTAssertEqual(code, PeerTransport.unknownProtocolCode)
        }

        let held = try await connection.openStream(protocol: "test/hold/1")
        try await held.write([9])
        let arrived = await eventually { accepted.value != nil }
        XCTAssertTrue(arrived, "the peer never saw the stream")
        let peerStream = try XCTUnwrap(accepted.value)
        XCTAssertEqual(peerStream.protocolName, "test/hold/1")
        held.reset(code: 77)
        do {
            while try await within(10, "reading a reset stream", { try await peerStream.read() }) != nil {}
            XCTFail("the peer's read ended normally after a reset")
        } catch TransportError.streamReset(_, let code) {
            XCTAssertEqual(code, 77)
        }
        // The connection outlives its streams.
        XCTAssertFalse(connection.isClosed)
    }

    func testClosingAConnectionFailsItsStreamsOnBothSides() async throws {
        let server = try makeNode()
        let client = try makeNode()
        let accepted = StreamBox()
        server.transport.handle(protocol: "test/hold/1") { stream in accepted.set(stream) }
        var serverEvents = server.transport.events.makeAsyncIterator()
        let connection = try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        let stream = try await connection.openStream(protocol: "test/hold/1")
        try await stream.write([1])
        let arrived = await eventually { accepted.value != nil }
        XCTAssertTrue(arrived, "the peer never saw the stream")
        connection.close(code: 42, reason: "test is done")
        do {
            _ = try await within(10, "read after close") { try await stream.read() }
            XCTFail("a stream of a closed connection still reads")
        } catch is TransportError {}
        _ = await serverEvents.next()
        guard case .closed(_, let code, let reason)? = await serverEvents.next() else {
            return XCTFail("the server saw no close")
        }
        XCTAssertEqual(code, 42)
        XCTAssertTrue(reason.contains("test is done"), reason)
        do {
            let peerStream = accepted.value!
            while try await within(10, "peer read after close", { try await peerStream.read() }) != nil {}
            XCTFail("the peer's stream ended normally although the connection closed")
        } catch is TransportError {}
    }
}
