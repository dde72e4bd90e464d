import CANClient
import CANModel
import Foundation
import TestSupport
import XCTest

/// `/health` and `/ingest` against a real store process.
final class CANStoreIngestTests: CANStoreTestCase {
    func testHealthCountsLiveAssets() async throws {
        var health = try await client.health()
        XCTAssertTrue(health.ok)
        XCTAssertEqual(health.assets, 0)
        XCTAssertNotNil(health.version)
        try await ingest([1, 2, 3])
        health = try await client.health()
        XCTAssertEqual(health.assets, 1)
    }

    func testIngestStoresContentAndEveryField() async throws {
        let bytes = awkwardBytes(count: 3 << 20)
        let options = IngestOptions(
            mimeType: "image/jpeg", application: "paste", tags: ["photos", "backup"], user: "alice",
            filename: "photo.jpg", metadata: ["camera": "x100", "iso": 400, "nested": ["a": [1, 2]]],
            createdAt: 1_764_064_800_123)
        let asset = try await ingest(bytes, name: "upload.bin", options: options)
        XCTAssertEqual(asset.hash, SHA256Hasher.hex(of: bytes))
        XCTAssertEqual(asset.size, Int64(bytes.count))
        XCTAssertEqual(asset.mimeType, "image/jpeg")
        XCTAssertEqual(asset.application, "paste")
        XCTAssertEqual(asset.tags, ["photos", "backup"])
        XCTAssertEqual(asset.user, "alice")
        XCTAssertEqual(asset.filename, "photo.jpg")
        XCTAssertEqual(asset.metadata, ["camera": "x100", "iso": 400, "nested": ["a": [1, 2]]])
        XCTAssertEqual(asset.createdAt, 1_764_064_800_123)
        XCTAssertGreaterThan(asset.updatedAt, asset.createdAt)
        XCTAssertEqual(asset.duplicate, false)
        XCTAssertEqual(asset.isDeleted, false)
        XCTAssertGreaterThan(asset.seq ?? 0, 0)

        var stored = try await client.meta(asset.hash)
        stored.duplicate = false
        XCTAssertEqual(stored, asset)
        let (download, content) = try await downloadAll(asset.hash)
        XCTAssertEqual(download.status, 200)
        XCTAssertEqual(download.contentType, "image/jpeg")
        XCTAssertEqual(download.contentLength, Int64(bytes.count))
        XCTAssertEqual(content, bytes)
        XCTAssertEqual(uploadFiles(), [], "no upload file may be left behind")
    }

    func testIngestDefaultsComeFromTheFilePart() async throws {
        let asset = try await ingest(Array("plain".utf8), name: "note.txt")
        XCTAssertEqual(asset.filename, "note.txt")
        XCTAssertEqual(asset.mimeType, "application/octet-stream")
        XCTAssertNil(asset.application)
        XCTAssertEqual(asset.tags, [])
        XCTAssertEqual(asset.metadata, [:])
        XCTAssertLessThanOrEqual(abs(asset.createdAt - Int64(Date().timeIntervalSince1970 * 1000)), 60_000)
    }

    func testEmptyFileIsAnAsset() async throws {
        let asset = try await ingest([])
        XCTAssertEqual(asset.size, 0)
        XCTAssertEqual(asset.hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let (_, content) = try await downloadAll(asset.hash)
        XCTAssertEqual(content, [])
    }

    func testDuplicateIngestMergesTagsAndSaysDuplicate() async throws {
        let bytes = awkwardBytes(count: 10_000)
        let first = try await ingest(bytes, options: IngestOptions(application: "paste", tags: ["a", "b"]))
        let second = try await ingest(bytes, name: "again.bin", options: IngestOptions(application: "other", tags: ["b", "c"]))
        XCTAssertEqual(second.duplicate, true)
        XCTAssertEqual(second.hash, first.hash)
        XCTAssertEqual(second.tags, ["a", "b", "c"])
        XCTAssertEqual(second.application, "paste", "a duplicate keeps the existing metadata apart from tags")
        XCTAssertEqual(second.createdAt, first.createdAt)
        XCTAssertGreaterThan(second.seq ?? 0, first.seq ?? 0, "merging new tags is a change")

        let third = try await ingest(bytes, options: IngestOptions(tags: ["a"]))
        XCTAssertEqual(third.duplicate, true)
        XCTAssertEqual(third.seq, second.seq, "nothing new to merge: no change")
        let page = try await client.list()
        XCTAssertEqual(page.total, 1)
    }

    func testTagsMayBeCommaSeparatedOrRepeated() async throws {
        let boundary = "b0undary"
        let body = multipart(boundary: boundary, parts: [
            ("Content-Disposition: form-data; name=\"tags\"", Data("x, y".utf8)),
            ("Content-Disposition: form-data; name=\"tags\"", Data("z,x".utf8)),
            ("Content-Disposition: form-data; name=\"file\"; filename=\"t.txt\"\r\nContent-Type: text/plain", Data("tagged".utf8)),
        ])
        let response = try await raw(.POST, "/ingest", headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"], body: body)
        XCTAssertEqual(response.status, 200, String(decoding: response.body, as: UTF8.self))
        let asset = (response.json?["data"] as? [String: Any])
        XCTAssertEqual(asset?["tags"] as? [String], ["x", "y", "z"])
        XCTAssertEqual(asset?["mime_type"] as? String, "text/plain")
        XCTAssertEqual(response.json?["status"] as? String, "success")
    }

    func testExpectedHashMismatchIs409AndStoresNothing() async throws {
        let bytes = awkwardBytes(count: 100_000)
        let wrong = SHA256Hasher.hex(of: [1, 2, 3])
        await assertStatus(409) { try await self.ingest(bytes, options: IngestOptions(expectedHash: wrong)) }
        let page = try await client.list(ListQuery(includeDeleted: true))
        XCTAssertEqual(page.total, 0)
        await assertStatus(404) { try await self.client.meta(SHA256Hasher.hex(of: bytes)) }
        XCTAssertEqual(uploadFiles(), [])

        let right = try await ingest(bytes, options: IngestOptions(expectedHash: SHA256Hasher.hex(of: bytes).uppercased()))
        XCTAssertEqual(right.hash, SHA256Hasher.hex(of: bytes))
    }

    func testMalformedIngestsAre400() async throws {
        let boundary = "xyz"
        let type = ["Content-Type": "multipart/form-data; boundary=\(boundary)"]
        let filePart = ("Content-Disposition: form-data; name=\"file\"; filename=\"a\"", Data("abc".utf8))

        let noFile = try await raw(.POST, "/ingest", headers: type, body: multipart(boundary: boundary, parts: [
            ("Content-Disposition: form-data; name=\"tags\"", Data("a".utf8)),
        ]))
        XCTAssertEqual(noFile.status, 400)
        XCTAssertEqual(noFile.json?["status"] as? String, "error")
        XCTAssertTrue(noFile.errorMessage?.contains("file") ?? false, noFile.errorMessage ?? "")

        let notMultipart = try await raw(.POST, "/ingest", headers: ["Content-Type": "application/json"], body: Data("{}".utf8))
        XCTAssertEqual(notMultipart.status, 400)

        let badMetadata = try await raw(.POST, "/ingest", headers: type, body: multipart(boundary: boundary, parts: [
            ("Content-Disposition: form-data; name=\"metadata\"", Data("[1,2]".utf8)), filePart,
        ]))
        XCTAssertEqual(badMetadata.status, 400)
        XCTAssertTrue(badMetadata.errorMessage?.contains("metadata") ?? false)

        let badExpected = try await raw(.POST, "/ingest", headers: type, body: multipart(boundary: boundary, parts: [
            filePart, ("Content-Disposition: form-data; name=\"expected_hash\"", Data("abc".utf8)),
        ]))
        XCTAssertEqual(badExpected.status, 400)

        let badCreated = try await raw(.POST, "/ingest", headers: type, body: multipart(boundary: boundary, parts: [
            filePart, ("Content-Disposition: form-data; name=\"created_at\"", Data("yesterday".utf8)),
        ]))
        XCTAssertEqual(badCreated.status, 400)

        let truncated = try await raw(.POST, "/ingest", headers: type,
                                      body: multipart(boundary: boundary, parts: [filePart], close: false).dropLast(3))
        XCTAssertEqual(truncated.status, 400)

        let health = try await client.health()
        XCTAssertEqual(health.assets, 0)
        XCTAssertEqual(uploadFiles(), [])
    }

    func testIndexesAreSeparateStores() async throws {
        let other = CANClient(baseURL: store.baseURL(index: 1), retryPolicy: .none)
        let asset = try await other.ingest(fileAt: try makeFile("one", [9, 9, 9]))
        let observed1 = try await other.meta(asset.hash).hash
        XCTAssertEqual(observed1, asset.hash)
        await assertStatus(404) { try await self.client.meta(asset.hash) }
        let notAnIndex = CANClient(baseURL: "http://127.0.0.1:\(store.port)/api/v1/can/x", retryPolicy: .none)
        await assertStatus(400) { try await notAnIndex.health() }
    }
}
