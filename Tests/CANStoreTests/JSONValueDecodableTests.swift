import CANModel
import Foundation
import XCTest

/// Assets and pages read from parsed JSON accept and refuse what their `Decodable` conformances do.
final class JSONValueDecodableTests: XCTestCase {
    private let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

    func testAssetsAndPagesReadAsJSONDecoderReadsThem() throws {
        let assets = [
            #"{"hash": "\#(hash)", "size": 4, "mime_type": "text/plain", "colour": "blue", "metadata": {"a": [1, 2.5, null, {"b": true}]}, "created_at": 1764064800123, "extra": {"nested": 1}}"#,
            #"{"hash": "\#(hash)", "size": 0, "application": null, "tags": ["x", "y"], "user": "u", "filename": "f.txt", "metadata": null, "created_at": 5, "updated_at": 6, "seq": 7, "deleted": true, "duplicate": false}"#,
        ]
        for text in assets {
            XCTAssertEqual(try Asset(json: JSONValue(parsing: text)), try JSONDecoder().decode(Asset.self, from: Data(text.utf8)), text)
        }
        let pages = [
            #"{"assets": [\#(assets[0]), \#(assets[1])], "total": 9, "last_seq": 12}"#,
            #"{"assets": [], "more": 1}"#,
        ]
        for text in pages {
            XCTAssertEqual(try AssetPage(json: JSONValue(parsing: text)),
                           try JSONDecoder().decode(AssetPage.self, from: Data(text.utf8)), text)
        }
    }

    func testWrongShapesAreRefusedNamingTheField() {
        let bad: [(String, String)] = [
            (#"{"size": 1}"#, "hash"),
            (#"{"hash": "\#(hash)", "size": "1"}"#, "size"),
            (#"{"hash": "\#(hash)", "size": 1.5}"#, "size"),
            (#"{"hash": "\#(hash)", "size": 1, "tags": "a"}"#, "tags"),
            (#"{"hash": "\#(hash)", "size": 1, "tags": [1]}"#, "tags"),
            (#"{"hash": "\#(hash)", "size": 1, "metadata": []}"#, "metadata"),
            (#"{"hash": "\#(hash)", "size": 1, "deleted": "no"}"#, "deleted"),
            (#"[]"#, "asset"),
        ]
        for (text, field) in bad {
            XCTAssertThrowsError(try Asset(json: JSONValue(parsing: text)), text) { error in
                XCTAssertEqual((error as? JSONShapeError)?.path, field, text)
            }
            XCTAssertThrowsError(try JSONDecoder().decode(Asset.self, from: Data(text.utf8)), "JSONDecoder agrees: \(text)")
        }
        XCTAssertThrowsError(try AssetPage(json: JSONValue(parsing: #"{"assets": {}}"#)))
    }
}
