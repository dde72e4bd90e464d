import PluginHost
import TestSupport
import XCTest

/// The built-in filter plugin, driven through the ABI by the host's FilterEngine.
final class FilterPluginTests: XCTestCase {
    let engine = FilterEngine(plugins: [PluginTestHost.filters])

    let photo = FilterAsset(hash: String(repeating: "a", count: 64), size: 2048, mimeType: "image/jpeg",
                            application: "camera", user: "alice", filename: "beach.jpg", tags: ["photos", "2024"])
    let paste = FilterAsset(hash: String(repeating: "b", count: 64), size: 12, mimeType: "text/plain",
                            application: "paste", user: "bob", filename: nil, tags: [])

    func matches(_ json: String, _ asset: FilterAsset, file: StaticString = #filePath, line: UInt = #line) throws -> Bool {
        try engine.compile(json: json).matches(asset)
    }

    func testEmptyFilterMatchesEverything() throws {
        XCTAssertTrue(try matches("{}", photo))
        XCTAssertTrue(try matches("{}", paste))
    }

    func testApplication() throws {
        XCTAssertTrue(try matches(#"{"application":"paste"}"#, paste))
        XCTAssertFalse(try matches(#"{"application":"paste"}"#, photo))
    }

    func testTagsMatchAnyOf() throws {
        XCTAssertTrue(try matches(#"{"tags":["backup","photos"]}"#, photo))
        XCTAssertFalse(try matches(#"{"tags":["backup","music"]}"#, photo))
        XCTAssertFalse(try matches(#"{"tags":["photos"]}"#, paste), "an asset without tags matches no tag filter")
    }

    func testUser() throws {
        XCTAssertTrue(try matches(#"{"user":"alice"}"#, photo))
        XCTAssertFalse(try matches(#"{"user":"alice"}"#, paste))
    }

    func testMimePrefixWithAndWithoutSubtype() throws {
        XCTAssertTrue(try matches(#"{"mime_prefix":"image/"}"#, photo))
        XCTAssertTrue(try matches(#"{"mime_prefix":"image/jpeg"}"#, photo))
        XCTAssertTrue(try matches(#"{"mime_prefix":"IMAGE/"}"#, photo), "MIME types compare case-insensitively")
        XCTAssertFalse(try matches(#"{"mime_prefix":"image/png"}"#, photo))
        XCTAssertFalse(try matches(#"{"mime_prefix":"image/"}"#, paste))
    }

    func testHashes() throws {
        XCTAssertTrue(try matches(#"{"hashes":["\#(String(repeating: "A", count: 64))"]}"#, photo))
        XCTAssertFalse(try matches(#"{"hashes":["\#(String(repeating: "c", count: 64))"]}"#, photo))
    }

    func testFieldsCombineWithAnd() throws {
        XCTAssertTrue(try matches(#"{"application":"camera","tags":["photos"],"mime_prefix":"image/","user":"alice"}"#, photo))
        XCTAssertFalse(try matches(#"{"application":"camera","user":"bob"}"#, photo))
        XCTAssertFalse(try matches(#"{"mime_prefix":"image/","tags":["nope"]}"#, photo))
    }

    func testUnknownFieldIsRejectedWithTheKnownOnes() {
        XCTAssertThrowsError(try engine.compile(json: #"{"colour":"blue"}"#)) { error in
            XCTAssertEqual("\(error)", "unknown filter field 'colour' (known fields: application, hashes, mime_prefix, tags, user)")
        }
    }

    func testBadValuesNameTheField() {
        let cases: [(String, String)] = [
            (#"{"application":5}"#, "filter field 'application' must be a string, not an integer"),
            (#"{"tags":"photos"}"#, "filter field 'tags' must be a list of strings, not a string"),
            (#"{"tags":[]}"#, "filter field 'tags' must list at least one value (leave it out to match all)"),
            (#"{"hashes":["xyz"]}"#, "filter field 'hashes': 'xyz' is not a SHA-256 hash (64 hex digits)"),
            (#"{"mime_prefix":""}"#, "filter field 'mime_prefix' must not be empty (leave it out to match every type)"),
            (#"["application"]"#, "filter must be a JSON object"),
        ]
        for (json, message) in cases {
            XCTAssertThrowsError(try engine.compile(json: json), json) { error in
                XCTAssertEqual("\(error)", message, json)
            }
        }
    }
}
