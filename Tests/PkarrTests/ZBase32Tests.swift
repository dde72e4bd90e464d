import Pkarr
import XCTest

final class ZBase32Tests: XCTestCase {
    func testFixedStrings() throws {
        XCTAssertEqual(ZBase32.encode([UInt8](repeating: 0, count: 32)), String(repeating: "y", count: 52))
        XCTAssertEqual(ZBase32.encode([UInt8](repeating: 0xff, count: 32)), String(repeating: "9", count: 51) + "o")
        XCTAssertEqual(ZBase32.encode([]), "")
        // pkarr's keys.rs test pair.
        let pkarrKey: [UInt8] = [1, 180, 103, 163, 183, 145, 58, 178, 122, 4, 168, 237, 242, 243, 251, 7, 76, 254, 14,
                                 207, 75, 171, 225, 8, 214, 123, 227, 133, 59, 15, 38, 197]
        XCTAssertEqual(ZBase32.encode(pkarrKey), "yg4gxe7z1r7mr6orids9fh95y7gxhdsxjqi6nngsxxtakqaxr5no")
        XCTAssertEqual(ZBase32.decode("yg4gxe7z1r7mr6orids9fh95y7gxhdsxjqi6nngsxxtakqaxr5no"), pkarrKey)
    }

    func testRoundTripOfEveryLength() {
        var bytes: [UInt8] = []
        for length in 0..<70 {
            XCTAssertEqual(ZBase32.decode(ZBase32.encode(bytes)), bytes, "length \(length)")
            bytes.append(UInt8(truncatingIfNeeded: length &* 37 &+ 11))
        }
    }

    func testDecodeRejectsForeignCharactersAndNonZeroPadding() {
        XCTAssertNil(ZBase32.decode("yyyl"), "'l' is not in the alphabet")
        XCTAssertNil(ZBase32.decode("yg4gxe7z1r7mr6orids9fh95y7gxhdsxjqi6nngsxxtakqaxr5nb"), "last character carries non-zero pad bits")
        XCTAssertEqual(ZBase32.decode("YG4GXE7Z1R7MR6ORIDS9FH95Y7GXHDSXJQI6NNGSXXTAKQAXR5NO"),
                       ZBase32.decode("yg4gxe7z1r7mr6orids9fh95y7gxhdsxjqi6nngsxxtakqaxr5no"))
    }

    func testPublicKeyParsingIsStrict() throws {
        let key = try PkarrPublicKey(zBase32: "8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo")
        XCTAssertEqual(key.bytes.hexEncoded, "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29")
        XCTAssertThrowsError(try PkarrPublicKey(zBase32: "8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ew"), "51 characters")
        XCTAssertThrowsError(try PkarrPublicKey(zBase32: String(repeating: "y", count: 52)), "the all-zero key is a small-order point")
        XCTAssertThrowsError(try PkarrPublicKey(zBase32: "_pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo"))
    }
}
