import XCTest
@testable import SyncProtocol

final class EncodingPrimitivesTests: XCTestCase {
    func testBase32MatchesRFC4648Vectors() {
        let vectors = ["": "", "f": "my", "fo": "mzxq", "foo": "mzxw6", "foob": "mzxw6yq", "fooba": "mzxw6ytb", "foobar": "mzxw6ytboi"]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base32.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(try Base32.decode(encoded).get(), Array(plain.utf8))
        }
    }

    func testBase32RejectsUppercasePaddingAndNonCanonicalTails() {
        XCTAssertEqual(Base32.decode("MZXQ"), .failure(.invalidCharacter("M", position: 0)))
        XCTAssertEqual(Base32.decode("mzxq===="), .failure(.invalidCharacter("=", position: 4)))
        XCTAssertEqual(Base32.decode("mzx"), .failure(.notCanonical), "3 characters never come from whole bytes")
        XCTAssertEqual(Base32.decode("mz"), .failure(.notCanonical), "\"my\" is canonical for \"f\"; \"mz\" has a spare bit set")
    }

    func testVarintEncodingAndCanonicalDecoding() throws {
        let vectors: [(UInt64, String)] = [(0, "00"), (1, "01"), (127, "7f"), (128, "8001"), (300, "ac02"),
                                           (UInt64.max, "ffffffffffffffffff01")]
        for (value, hex) in vectors {
            var writer = ByteWriter()
            writer.varint(value)
            XCTAssertEqual(Hex.encode(writer.bytes), hex)
            var reader = ByteReader(Hex.decode(hex)!, context: "test")
            XCTAssertEqual(try reader.varint("v"), value)
        }
        for bad in ["8000", "80", "ffffffffffffffffff02", "ffffffffffffffffffff01"] {
            var reader = ByteReader(Hex.decode(bad)!, context: "test")
            XCTAssertThrowsError(try reader.varint("v"), bad)
        }
    }

    func testReaderReportsTruncationWithContextAndOffset() {
        var reader = ByteReader([1, 2, 3], context: "widget")
        XCTAssertThrowsError(try reader.u64("size")) { error in
            XCTAssertEqual("\(error)", "malformed widget at byte 0: truncated: size needs 8 bytes, 3 left")
        }
    }

    func testBytes32HexOrderAndSubscript() {
        let value = Fixtures.counting(from: 0)
        XCTAssertEqual(value.hex, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
        XCTAssertEqual(Bytes32(hex: value.hex.uppercased()), value)
        XCTAssertNil(Bytes32(hex: "00"))
        XCTAssertEqual(value[9], 9)
        XCTAssertEqual(value.bytes, Array(0..<32))
        XCTAssertLessThan(Fixtures.repeated(1), Fixtures.counting(from: 2))
        XCTAssertLessThan(Fixtures.repeated(0).with(byte: 31, 0xff), Fixtures.counting(from: 0), "byte 1 decides")
        XCTAssertLessThan(Fixtures.repeated(0), Fixtures.repeated(0).with(byte: 31, 1))
    }
}

extension Bytes32 {
    func with(byte index: Int, _ value: UInt8) -> Bytes32 {
        var bytes = self.bytes
        bytes[index] = value
        return Bytes32(bytes)!
    }
}
