import CANModel
import Foundation
import XCTest

/// The hand-written JSON writer and parser the store's hot paths use: fixed texts, and agreement with
/// Foundation's encoder and decoder on the same values.
final class JSONWriterTests: XCTestCase {
    private let awkward = "quote \" backslash \\ slash / newline \n tab \t bell \u{07} nul \u{00} é 日本 🎉"

    func testStringsAreEscapedMinimally() {
        var json = JSONWriter()
        json.string(awkward)
        XCTAssertEqual(String(decoding: json.bytes, as: UTF8.self),
                       #""quote \" backslash \\ slash / newline \n tab \t bell \u0007 nul \u0000 é 日本 🎉""#)
    }

    func testValuesHaveOneTextWithSortedKeysAndIntegralNumbersWithoutFraction() {
        var json = JSONWriter()
        json.value(["b": [1, 2.5, -0.125, 1e300, nil, true, false], "a": ["z": "x"], "c": 9_007_199_254_740_993])
        XCTAssertEqual(String(decoding: json.bytes, as: UTF8.self),
                       #"{"a":{"z":"x"},"b":[1,2.5,-0.125,1e+300,null,true,false],"c":9007199254740992.0}"#)
    }

    func testAssetAndPageTextsDecodeToTheSameValuesAsTheEncodableOnes() throws {
        let assets = [
            Asset(hash: String(repeating: "a", count: 64), size: 1 << 40, mimeType: "text/plain", application: awkward,
                  tags: ["t1", awkward, ""], user: nil, filename: "f\"ile\n.txt",
                  metadata: ["n": 42, "s": .string(awkward), "deep": [["x": [nil, 1.5]]]],
                  createdAt: 1_764_064_800_123, updatedAt: 1_764_064_800_124, seq: 7, deleted: false, duplicate: true),
            Asset(hash: String(repeating: "b", count: 64), size: 0, mimeType: "x/y", createdAt: 5, updatedAt: 6),
        ]
        for asset in assets {
            var json = JSONWriter()
            asset.write(to: &json)
            XCTAssertEqual(try JSONDecoder().decode(Asset.self, from: Data(json.bytes)), asset)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
            let encoded = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(asset)) as? [String: Any])
            XCTAssertEqual(Set(object.keys), Set(encoded.keys), "the same keys as the Encodable spelling")
        }
        for page in [AssetPage(assets: assets, total: 10, lastSeq: 99), AssetPage(assets: [], total: 0, lastSeq: nil)] {
            var json = JSONWriter()
            page.write(to: &json)
            XCTAssertEqual(try JSONDecoder().decode(AssetPage.self, from: Data(json.bytes)), page)
        }
    }

    func testParsingAgreesWithJSONDecoder() throws {
        let texts = [
            #" {"a": [1, -2.5e3, 0.001, true, false, null, "x\u00e9\ud83c\udf89\/\"\\\b\f\n\r\t"], "b": {}, "c": []} "#,
            #"["🎉", "日本", "", {"k": {"k": {"k": 1E2}}}]"#,
            "12", "\"text\"", "null",
        ]
        for text in texts {
            XCTAssertEqual(try JSONValue(parsing: text), try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), text)
        }
        var json = JSONWriter()
        json.string(awkward)
        XCTAssertEqual(try JSONValue(parsing: String(decoding: json.bytes, as: UTF8.self)), .string(awkward))
        XCTAssertEqual(try JSONValue.parseStrings(#"["a", "b\n"]"#), ["a", "b\n"])
        XCTAssertEqual(try JSONValue.parseObject(#"{"n": 1}"#), ["n": 1])
    }

    func testParsingRejectsWhatIsNotJSONAndSaysWhere() {
        let bad: [(String, Int)] = [
            ("", 0), ("[1,]", 3), ("{\"a\" 1}", 5), ("[01]", 2), ("1.", 2), ("-", 1), ("tru", 0), ("\"a", 2),
            ("\"\u{01}\"", 1), (#""\ud83c""#, 7), (#""\x""#, 3), ("{\"a\":1} x", 8), ("[1 2]", 3), ("{1:2}", 1),
            (String(repeating: "[", count: 600), 512),
        ]
        for (text, offset) in bad {
            XCTAssertThrowsError(try JSONValue(parsing: text), text) { error in
                XCTAssertEqual((error as? JSONParseError)?.offset, offset, "\(text.prefix(20)): \(error)")
            }
        }
        XCTAssertThrowsError(try JSONValue.parseStrings(#"["a", 1]"#))
        XCTAssertThrowsError(try JSONValue.parseObject("[]"))
    }
}
