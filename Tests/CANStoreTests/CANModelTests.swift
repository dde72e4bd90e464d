import CANModel
import Foundation
import XCTest

/// The shared model: tolerant decoding, the wire spelling of assets, and SHA-256 vectors.
final class CANModelTests: XCTestCase {
    func testAssetDecodingIgnoresUnknownFieldsAndToleratesAbsentOnes() throws {
        let json = #"""
            {"hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "size": 4,
             "mime_type": "text/plain", "colour": "blue", "metadata": {"a": [1, 2.5, null, {"b": true}]},
             "created_at": 1764064800123, "extra": {"nested": 1}}
            """#
        let asset = try JSONDecoder().decode(Asset.self, from: Data(json.utf8))
        XCTAssertEqual(asset.hash, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
        XCTAssertEqual(asset.tags, [])
        XCTAssertNil(asset.application)
        XCTAssertNil(asset.seq)
        XCTAssertNil(asset.deleted)
        XCTAssertFalse(asset.isDeleted)
        XCTAssertEqual(asset.updatedAt, 1_764_064_800_123, "updated_at defaults to created_at")
        XCTAssertEqual(asset.metadata, ["a": [1, 2.5, nil, ["b": true]]])

        let page = try JSONDecoder().decode(AssetPage.self, from: Data(#"{"assets": [], "more": 1}"#.utf8))
        XCTAssertEqual(page.total, 0)
        XCTAssertNil(page.lastSeq)
    }

    func testAssetEncodesTheContractSpelling() throws {
        let asset = Asset(hash: String(repeating: "a", count: 64), size: 1, mimeType: "x/y", tags: ["t"],
                          metadata: ["n": 42], createdAt: 5, updatedAt: 6, seq: 7)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(asset)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["hash", "size", "mime_type", "application", "tags", "user", "filename",
                                          "metadata", "created_at", "updated_at", "seq"])
        XCTAssertTrue(object["application"] is NSNull, "absent optional text fields are spelled null")
        XCTAssertEqual(object["created_at"] as? Int, 5)
        XCTAssertEqual((object["metadata"] as? [String: Any])?["n"] as? Int, 42)
        XCTAssertEqual(try JSONDecoder().decode(Asset.self, from: JSONEncoder().encode(asset)), asset)
    }

    func testSHA256Vectors() {
        XCTAssertEqual(SHA256Hasher.hex(of: []), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256Hasher.hex(of: Array("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let hasher = SHA256Hasher()
        let million = [UInt8](repeating: 0x61, count: 1_000_000)
        for start in stride(from: 0, to: million.count, by: 65_537) {
            hasher.update(million[start..<min(start + 65_537, million.count)])
        }
        XCTAssertEqual(hasher.finalizeHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        hasher.update(Array("abc".utf8))
        XCTAssertEqual(hasher.finalizeHex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                       "a finalized hasher starts over")
    }

    func testAssetHashNormalisation() {
        XCTAssertEqual(AssetHash.normalized(String(repeating: "AB", count: 32)), String(repeating: "ab", count: 32))
        XCTAssertNil(AssetHash.normalized(String(repeating: "a", count: 63)))
        XCTAssertNil(AssetHash.normalized(String(repeating: "g", count: 64)))
        XCTAssertNil(AssetHash.normalized(""))
    }
}
