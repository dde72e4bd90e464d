import XCTest
@testable import SyncProtocol

final class SyncMessageTests: XCTestCase {
    static let hello = SyncMessage.hello(SyncHello(libraryID: Fixtures.libraryID, nonce: Fixtures.repeated(0x11)))

    func testFrameVectors() throws {
        XCTAssertEqual(Hex.encode(try Self.hello.encodedFrame()),
                       "00000032" + "0101" + "6ba7b8109dad11d180b400c04fd430c8" + String(repeating: "11", count: 32))
        XCTAssertEqual(Hex.encode(try SyncMessage.proof(Fixtures.repeated(0xab)).encodedFrame()),
                       "00000022" + "0102" + String(repeating: "ab", count: 32))
        XCTAssertEqual(Hex.encode(try SyncMessage.reconcile(ReconcileMessage(parts: [])).encodedFrame()), "00000003" + "0103" + "01")
        XCTAssertEqual(Hex.encode(try SyncMessage.done.encodedFrame()), "00000002" + "0106")
        XCTAssertEqual(Hex.encode(try SyncMessage.error(SyncFailure(.unknownLibrary, "no")).encodedFrame()),
                       "00000006" + "0107" + "01" + "02" + "6e6f")
        let entry = SyncEntryTests.entry()
        XCTAssertEqual(Hex.encode(try SyncMessage.entryPush(entry).encodedFrame()),
                       String(format: "%08x", 2 + entry.encoded().count) + "0105" + SyncEntryTests.vectorHex)
        XCTAssertEqual(Hex.encode(try SyncMessage.entries([entry]).encodedFrame()),
                       String(format: "%08x", 2 + 1 + 2 + entry.encoded().count) + "0104" + "01"
                       + "d402" + SyncEntryTests.vectorHex)
    }

    func testEveryMessageRoundTripsThroughTheStreamDecoder() throws {
        var random = SeededGenerator(seed: 7)
        let entries = (0..<3).map { index in
            SyncEntryTests.entry(manifest: Fixtures.manifest(hash: random.bytes32(), deleted: index == 2))
        }
        let messages: [SyncMessage] = [
            Self.hello, .proof(random.bytes32()), .reconcile(ReconcileMessageTests.message), .entries(entries), .entries([]),
            .entryPush(entries[0]), .done, .error(SyncFailure(SyncFailure.Code(rawValue: 200), "from the future ✓")),
        ]
        let stream = try messages.flatMap { try $0.encodedFrame() }
        // Deliver in awkward chunk sizes, as a transport might.
        var decoder = SyncFrameDecoder()
        var decoded: [SyncMessage] = []
        var offset = 0
        while offset < stream.count {
            let chunk = 1 + Int(random.next() % 97)
            decoder.append(stream[offset..<min(stream.count, offset + chunk)])
            offset += chunk
            while let message = try decoder.next() {
                decoded.append(message)
            }
        }
        XCTAssertEqual(decoded, messages)
        XCTAssertEqual(decoder.bufferedBytes, 0)
        XCTAssertEqual(decoder.consumedBytes, stream.count)
    }

    func testOversizeFramesAreRefusedBeforeBuffering() throws {
        var decoder = SyncFrameDecoder(maxPayloadBytes: 1024)
        decoder.append([0x00, 0x00, 0x04, 0x01])
        XCTAssertThrowsError(try decoder.next()) { error in
            XCTAssertTrue("\(error)".contains("frame length 1025 exceeds the 1024-byte limit"), "\(error)")
        }
        XCTAssertThrowsError(try SyncMessage.entries([SyncEntryTests.entry()]).encodedFrame(maxPayloadBytes: 100)) { error in
            XCTAssertTrue("\(error)".contains("send fewer entries per message"), "\(error)")
        }
    }

    func testTruncatedFramesWaitAndGarbageIsRejectedWithPosition() throws {
        var decoder = SyncFrameDecoder()
        decoder.append(try SyncMessage.done.encodedFrame().dropLast())
        XCTAssertNil(try decoder.next(), "an incomplete frame waits for more bytes")
        let cases: [(String, String)] = [
            ("0000000101", "truncated: message type missing"),
            ("000000020206", "unsupported sync protocol version 2"),
            ("0000000201ee", "unknown message type 238"),
            ("000000030106ff", "1 unexpected trailing bytes"),
            ("000000040101abcd", "truncated: library id needs 16 bytes, 2 left"),
            ("000000030104ff", "entry count varint unfinished"),
            ("00000004010401ff", "entry 0 length varint unfinished"),
            ("0000000501040101ff", "unsupported entry format 255"),
            ("00000007010301" + "00ff00ff", "malformed sync frame at stream byte 0: reconcile message at byte 3: part after"),
        ]
        for (hex, reason) in cases {
            var decoder = SyncFrameDecoder()
            decoder.append(Hex.decode(hex)!)
            XCTAssertThrowsError(try decoder.next(), hex) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(hex): \(error)")
            }
        }
    }

    func testGarbageStreamsNeverCrash() {
        var random = SeededGenerator(seed: 11)
        let valid = (try? [Self.hello, .entries([SyncEntryTests.entry()]), .done].flatMap { try $0.encodedFrame() }) ?? []
        for round in 0..<5000 {
            var bytes = valid
            if round % 3 == 0 {
                bytes = (0..<Int(random.next() % 300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            } else {
                for _ in 0..<1 + Int(random.next() % 3) {
                    bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
                }
            }
            var decoder = SyncFrameDecoder(maxPayloadBytes: 64 * 1024)
            decoder.append(bytes)
            while true {
                guard let message = try? decoder.next() else { break }
                XCTAssertNoThrow(try message.encodedFrame())
            }
        }
    }

    func testEntryBatchesStayUnderTheLimit() throws {
        var random = SeededGenerator(seed: 12)
        let entries = (0..<50).map { _ in SyncEntryTests.entry(manifest: Fixtures.manifest(hash: random.bytes32())) }
        let limit = 2000
        let batches = SyncMessage.entryBatches(entries, maxPayloadBytes: limit)
        XCTAssertGreaterThan(batches.count, 1)
        var flattened: [SyncEntry] = []
        for batch in batches {
            XCTAssertLessThanOrEqual(try batch.encodedFrame(maxPayloadBytes: limit).count, limit + 4)
            guard case .entries(let some) = batch else { return XCTFail("\(batch)") }
            flattened += some
        }
        XCTAssertEqual(flattened, entries)
    }
}
