import XCTest
@testable import SyncProtocol

final class ReconcileMessageTests: XCTestCase {
    static let item1 = ReconcileItem(key: Fixtures.repeated(0x20), value: Fixtures.repeated(0x01))
    static let item2 = ReconcileItem(key: Fixtures.repeated(0x30), value: Fixtures.repeated(0x02))

    static let message = ReconcileMessage(parts: [
        .skip(upper: RangeBound.separating(Fixtures.repeated(0x0f), Fixtures.repeated(0x10))),
        .fingerprint(upper: RangeBound.separating(Fixtures.repeated(0x1f), Fixtures.repeated(0x20)),
                     Fingerprint(high: 0x0001_0203_0405_0607, low: 0x0809_0a0b_0c0d_0e0f)),
        .items(upper: RangeBound.separating(Fixtures.repeated(0x20), Fixtures.repeated(0x21).with(byte: 0, 0x20)), [item1]),
        .itemsReply(upper: .infinity, items: [item2], wanted: [true, false, false, true, false, false, false, false, true]),
    ])

    static let vectorHex = "01" // version
        + "000110" // skip, bound [10]
        + "0101" + "20" + "000102030405060708090a0b0c0d0e0f" // fingerprint, bound [20], 16 bytes
        + "0202" + "2021" + "01" + String(repeating: "20", count: 32) + String(repeating: "01", count: 32) // items, bound [20 21], 1 item
        + "03ff" + "01" + String(repeating: "30", count: 32) + String(repeating: "02", count: 32) + "09" + "0901" // reply, ∞, 1 item, 9 bits

    func testEncodesToFixedVector() {
        XCTAssertEqual(Hex.encode(Self.message.encoded()), Self.vectorHex)
    }

    func testDecodesFixedVector() throws {
        XCTAssertEqual(try ReconcileMessage(decoding: Hex.decode(Self.vectorHex)!), Self.message)
        XCTAssertTrue(Self.message.expectsResponse)
        XCTAssertFalse(ReconcileMessage(parts: [.skip(upper: .infinity)]).expectsResponse)
    }

    func testRejectsMalformedMessagesWithReasons() {
        let cases: [(String, String)] = [
            ("", "truncated: version missing"),
            ("02", "unsupported reconcile message version 2"),
            ("0109", "unknown part mode 9"),
            ("0100", "truncated: range bound length missing"),
            ("010021", "range bound length 33"),
            ("01000110000110", "does not exceed the previous bound"),
            ("0100ff0001ff", "part after the range that ends at infinity"),
            ("01000100", "redundant zero byte"),
            ("010000", "first range is empty"),
            ("0101ff0001", "truncated: fingerprint needs 16 bytes"),
            ("0102ff05", "item count is 5, more than the limit 0"),
            ("0103ff0009ff02", "wanted bitmap has bits set past its 9 entries"),
            ("010201" + "20" + "01" + String(repeating: "30", count: 64), "item 0 lies above its range"),
            ("01" + "000120" + "020130" + "01" + String(repeating: "10", count: 64), "item 0 lies below its range"),
            ("0102ff02" + String(repeating: "30", count: 64) + String(repeating: "20", count: 64), "not in strictly increasing key order"),
        ]
        for (hex, reason) in cases {
            XCTAssertThrowsError(try ReconcileMessage(decoding: Hex.decode(hex)!), hex) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(hex): \(error)")
                XCTAssertTrue("\(error)".hasPrefix("malformed reconcile message at byte"), "\(error)")
            }
        }
    }

    func testRandomBytesNeverCrashTheDecoder() {
        var random = SeededGenerator(seed: 9)
        let valid = Self.message.encoded()
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(random.next() % 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                bytes.insert(1, at: 0)
            } else {
                bytes = valid
                for _ in 0..<1 + Int(random.next() % 4) {
                    bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
                }
                bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1))))
            }
            if let message = try? ReconcileMessage(decoding: bytes) {
                XCTAssertEqual(try ReconcileMessage(decoding: message.encoded()), message, "anything accepted re-encodes")
            }
        }
    }
}
