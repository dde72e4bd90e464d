import XCTest
@testable import SyncProtocol

final class CanonicalJSONTests: XCTestCase {
    func testSortsKeysDropsWhitespaceAndEscapesMinimally() throws {
        XCTAssertEqual(try CanonicalJSON.canonicalize(#" { "b" : [1, 2.50, -3e+2, true, null], "a": {"z": "x\/y", "y": "\u00e9\n\u0001"} } "#),
                       #"{"a":{"y":"é\n\u0001","z":"x/y"},"b":[1,2.50,-3e+2,true,null]}"#)
        XCTAssertEqual(try CanonicalJSON.canonicalize(#"{"\ud83d\ude00":"\"\\"}"#), #"{"😀":"\"\\"}"#)
        XCTAssertEqual(try CanonicalJSON.canonicalize("{}"), "{}")
    }

    func testOrderAndSpacingDoNotChangeTheCanonicalForm() throws {
        XCTAssertEqual(try CanonicalJSON.canonicalize(#"{"x":1,"y":{"b":2,"a":3}}"#),
                       try CanonicalJSON.canonicalize("{ \"y\": {\"a\": 3, \"b\": 2},\n\"x\": 1 }"))
    }

    func testRejectsInvalidJSONWithPosition() {
        let bad = ["", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1]", "{\"a\":01}", "{\"a\":1.}", "{\"a\":\"\u{01}\"}",
                   "{\"a\":\"\\ud800\"}", "{\"a\":\"\\u+041\"}", "{\"a\":\"\\u-041\"}", "{\"a\":\"\\u00e\"}", "{\"a\":tru}", "{} x", "{\"a\":1,\"a\":1}", String(repeating: "[", count: 100)]
        for text in bad {
            XCTAssertThrowsError(try CanonicalJSON.canonicalize(text), text)
        }
        XCTAssertThrowsError(try CanonicalJSON.canonicalize(#"{"a":1,"a":2}"#)) { error in
            XCTAssertEqual("\(error)", #"invalid JSON at byte 7: duplicate key "a""#)
        }
    }
}
