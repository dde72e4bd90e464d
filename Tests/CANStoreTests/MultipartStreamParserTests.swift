@testable import CANStore
import NIOCore
import XCTest

/// The streaming multipart parser on fixed bodies, fed whole and split at every possible byte.
final class MultipartStreamParserTests: XCTestCase {
    private struct Part: Equatable {
        var headers: [String]
        var body: [UInt8]
    }

    private func parse(_ body: [UInt8], boundary: String, splits: [Int] = []) throws -> (parts: [Part], complete: Bool) {
        var parser = MultipartStreamParser(boundary: boundary)
        var parts: [Part] = []
        var open = false
        var start = 0
        for end in splits + [body.count] where end >= start {
            try parser.feed(ByteBuffer(bytes: body[start..<end])) { event in
                switch event {
                case .partBegin(let headers):
                    XCTAssertFalse(open)
                    open = true
                    parts.append(Part(headers: headers.map { "\($0.name)=\($0.value)" }, body: []))
                case .body(let buffer):
                    XCTAssertTrue(open)
                    parts[parts.count - 1].body += buffer.readableBytesView
                case .partEnd:
                    open = false
                }
            }
            start = end
        }
        return (parts, parser.isComplete)
    }

    private let vector = Array((
        "preamble to ignore\r\n--XyZ\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\na,b\r\n" +
        "--XyZ  \r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\nContent-Type: text/plain\r\n\r\n" +
        "line1\r\n--Xy\r\n--XyQ not a delimiter\r\n" +
        "\r\n--XyZ\r\n\r\nno headers\r\n--XyZ--\r\nepilogue").utf8)

    private let expected = [
        Part(headers: ["Content-Disposition=form-data; name=\"tags\""], body: Array("a,b".utf8)),
        Part(headers: ["Content-Disposition=form-data; name=\"file\"; filename=\"f\"", "Content-Type=text/plain"],
             body: Array("line1\r\n--Xy\r\n--XyQ not a delimiter\r\n".utf8)),
        Part(headers: [], body: Array("no headers".utf8)),
    ]

    func testFixedBodyParsesWhole() throws {
        let result = try parse(vector, boundary: "XyZ")
        XCTAssertEqual(result.parts, expected)
        XCTAssertTrue(result.complete)
    }

    func testEverySplitPointGivesTheSameParts() throws {
        for split in 0...vector.count {
            let result = try parse(vector, boundary: "XyZ", splits: [split])
            XCTAssertEqual(result.parts, expected, "split at \(split)")
            XCTAssertTrue(result.complete, "split at \(split)")
        }
        let byteByByte = try parse(vector, boundary: "XyZ", splits: Array(1..<vector.count))
        XCTAssertEqual(byteByByte.parts, expected)
    }

    func testTruncatedBodyIsIncomplete() throws {
        let cut = Array(vector.prefix(vector.count - 20))
        XCTAssertFalse(try parse(cut, boundary: "XyZ").complete)
        XCTAssertFalse(try parse([], boundary: "XyZ").complete)
    }

    func testGarbageAfterDelimiterIsASyntaxError() {
        let body = Array("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--bQQ".utf8)
        XCTAssertThrowsError(try parse(body, boundary: "b"))
        let badHeader = Array("--b\r\nno colon here\r\n\r\n1\r\n--b--".utf8)
        XCTAssertThrowsError(try parse(badHeader, boundary: "b"))
    }

    func testOversizedHeaderBlockIsRefused() {
        let body = Array("--b\r\nX: \(String(repeating: "a", count: MultipartStreamParser.maxHeaderBytes + 10))".utf8)
        XCTAssertThrowsError(try parse(body, boundary: "b"))
    }
}
