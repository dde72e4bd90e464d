import Pkarr
import XCTest

final class DNSMessageTests: XCTestCase {
    func testCompressedAndUncompressedDecodeToTheSameRecords() throws {
        let records = [
            DNSRecord(name: "a.example", ttl: 60, data: .a([10, 0, 0, 1])),
            DNSRecord(name: "b.a.example", ttl: 60, data: .aaaa(Array(0..<16))),
            DNSRecord(name: "b.a.example", ttl: 60, data: .txt([Array("one".utf8), Array("two".utf8)])),
            DNSRecord(name: "example", ttl: 5, data: .other(type: 99, rdata: [1, 2, 3])),
        ]
        let message = DNSMessage(answers: records)
        let compressed = try message.encoded(compressed: true)
        let plain = try message.encoded(compressed: false)
        XCTAssertLessThan(compressed.count, plain.count)
        XCTAssertEqual(try DNSMessage(decoding: compressed), message)
        XCTAssertEqual(try DNSMessage(decoding: plain), message)
        XCTAssertEqual(records[2].data.text, "onetwo")
    }

    func testRejectsLoopsTruncationAndTrailingBytes() throws {
        let header: [UInt8] = [0, 0, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0]
        let selfPointer = header + [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 1, 1, 1]
        XCTAssertThrowsError(try DNSMessage(decoding: selfPointer))
        let truncated = header + [1, 0x61, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 1]
        XCTAssertThrowsError(try DNSMessage(decoding: truncated))
        let valid = header + [1, 0x61, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 1, 1, 1]
        XCTAssertNoThrow(try DNSMessage(decoding: valid))
        XCTAssertThrowsError(try DNSMessage(decoding: valid + [0]))
        XCTAssertThrowsError(try DNSMessage(decoding: Array(header.prefix(11))))
        let wrongALength = header + [1, 0x61, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 3, 1, 1, 1]
        XCTAssertThrowsError(try DNSMessage(decoding: wrongALength))
    }

    func testEncoderRejectsBadNamesAndRData() {
        XCTAssertThrowsError(try DNSMessage(answers: [DNSRecord(name: String(repeating: "a", count: 64), ttl: 1, data: .txt("x"))]).encoded())
        XCTAssertThrowsError(try DNSMessage(answers: [DNSRecord(name: "a..b", ttl: 1, data: .txt("x"))]).encoded())
        XCTAssertThrowsError(try DNSMessage(answers: [DNSRecord(name: "a", ttl: 1, data: .a([1, 2, 3]))]).encoded())
        XCTAssertThrowsError(try DNSMessage(answers: [DNSRecord(name: "a", ttl: 1, data: .txt([]))]).encoded())
    }
}
