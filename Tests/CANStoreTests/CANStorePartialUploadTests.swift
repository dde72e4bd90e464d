import CANClient
import CANModel
import Foundation
import NIOCore
import XCTest

/// The bundled store's partial uploads (`/partial/{hash}`): appends across requests and restarts, what a
/// failed request keeps, the hash check at ingest, and the errors for bad input.
final class CANStorePartialUploadTests: CANStoreTestCase {
    var partialDirectory: URL { store.dataDirectory.appendingPathComponent("index-0/partial") }

    func partialFiles() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: partialDirectory.path)) ?? []
    }

    /// `bytes` as a request body in chunks of `chunk` bytes; with `failAfter`, the body fails once that
    /// many bytes are out, as a dropped download would.
    func body(_ bytes: ArraySlice<UInt8>, chunk: Int = 100_000, failAfter: Int? = nil) -> AsyncThrowingStream<ByteBuffer, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ByteBuffer.self)
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            if let failAfter, offset - bytes.startIndex >= failAfter { break }
            let end = min(offset + chunk, bytes.endIndex)
            continuation.yield(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
        continuation.finish(throwing: failAfter == nil ? nil : URLError(.networkConnectionLost))
        return stream
    }

    func held(_ hash: String) async throws -> [UInt8]? {
        guard let download = try await client.partialUpload(hash) else { return nil }
        var bytes: [UInt8] = []
        for try await chunk in download.body { bytes += chunk.readableBytesView }
        XCTAssertEqual(download.contentLength, Int64(bytes.count))
        return bytes
    }

    func testHealthAnnouncesPartialUploads() async throws {
        let health = try await client.health()
        XCTAssertEqual(health.partialUploads, true)
        let offers = try await client.offersPartialUploads()
        XCTAssertTrue(offers)
    }

    func testAppendsAcrossRequestsThenIngestsEveryFieldByRename() async throws {
        let bytes = awkwardBytes(count: 3_000_000)
        let hash = SHA256Hasher.hex(of: bytes)
        let none = try await held(hash)
        XCTAssertNil(none)
        var size = try await client.appendPartialUpload(hash, at: 0, body: body(bytes[..<1_200_000]))
        XCTAssertEqual(size, 1_200_000)
        let first = try await held(hash)
        XCTAssertEqual(first, Array(bytes[..<1_200_000]))
        size = try await client.appendPartialUpload(hash, at: 1_200_000, body: body(bytes[1_200_000...]))
        XCTAssertEqual(size, 3_000_000)

        let options = IngestOptions(mimeType: "image/png", application: "paste", tags: ["b", "a"], user: "alice",
                                    filename: "photo.png", metadata: ["k": .number(1), "s": .string("x")],
                                    createdAt: 1_764_064_800_123)
        let asset = try await client.ingestPartialUpload(hash, options: options)
        XCTAssertEqual(asset.hash, hash)
        XCTAssertEqual(asset.size, 3_000_000)
        XCTAssertEqual(asset.duplicate, false)
        let meta = try await client.meta(hash)
        XCTAssertEqual(meta.mimeType, "image/png")
        XCTAssertEqual(meta.application, "paste")
        XCTAssertEqual(meta.tags, ["b", "a"])
        XCTAssertEqual(meta.user, "alice")
        XCTAssertEqual(meta.filename, "photo.png")
        XCTAssertEqual(meta.metadata, ["k": .number(1), "s": .string("x")])
        XCTAssertEqual(meta.createdAt, 1_764_064_800_123)
        let (_, stored) = try await downloadAll(hash)
        XCTAssertEqual(stored, bytes)
        XCTAssertEqual(partialFiles(), [], "the ingest moves the partial upload into the store")
        let after = try await held(hash)
        XCTAssertNil(after)
    }

    func testUploadSurvivesARestartAndIsHashedFromDisk() async throws {
        let bytes = awkwardBytes(count: 2_500_000)
        let hash = SHA256Hasher.hex(of: bytes)
        _ = try await client.appendPartialUpload(hash, at: 0, body: body(bytes[..<1_000_000]))
        try await store.restart()
        let kept = try await held(hash)
        XCTAssertEqual(kept, Array(bytes[..<1_000_000]))
        let size = try await client.appendPartialUpload(hash, at: 1_000_000, body: body(bytes[1_000_000...]))
        XCTAssertEqual(size, 2_500_000)
        let asset = try await client.ingestPartialUpload(hash, options: IngestOptions(tags: ["t"]))
        XCTAssertEqual(asset.hash, hash)
        let (_, stored) = try await downloadAll(hash)
        XCTAssertEqual(stored, bytes)
    }

    func testAFailedRequestKeepsTheBytesThatArrived() async throws {
        let bytes = awkwardBytes(count: 4_000_000)
        let hash = SHA256Hasher.hex(of: bytes)
        do {
            _ = try await client.appendPartialUpload(hash, at: 0, body: body(bytes[...], failAfter: 2_500_000))
            XCTFail("the request's body failed; the call must fail")
        } catch {}
        // The store handles the broken request after the client has given up on it.
        var kept: [UInt8]?
        for _ in 0..<100 {
            kept = try? await held(hash)
            if let kept, !kept.isEmpty { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let prefix = try XCTUnwrap(kept)
        XCTAssertGreaterThan(prefix.count, 0)
        XCTAssertLessThanOrEqual(prefix.count, 2_500_000)
        XCTAssertEqual(prefix, Array(bytes[..<prefix.count]), "what is kept is the start of what was sent")
        let size = try await client.appendPartialUpload(hash, at: Int64(prefix.count), body: body(bytes[prefix.count...]))
        XCTAssertEqual(size, 4_000_000)
        let asset = try await client.ingestPartialUpload(hash, options: IngestOptions())
        XCTAssertEqual(asset.hash, hash)
    }

    func testAnEarlierOffsetReplacesTheTail() async throws {
        let bytes = awkwardBytes(count: 1_500_000)
        let hash = SHA256Hasher.hex(of: bytes)
        var wrong = bytes
        for index in 700_000..<1_500_000 { wrong[index] ^= 0xFF }
        _ = try await client.appendPartialUpload(hash, at: 0, body: body(wrong[...]))
        let size = try await client.appendPartialUpload(hash, at: 700_000, body: body(bytes[700_000...]))
        XCTAssertEqual(size, 1_500_000)
        let asset = try await client.ingestPartialUpload(hash, options: IngestOptions())
        XCTAssertEqual(asset.hash, hash)
    }

    func testContentThatDoesNotMatchItsHashIs409AndIsDropped() async throws {
        let bytes = awkwardBytes(count: 200_000)
        let claimed = SHA256Hasher.hex(of: [1, 2, 3])
        _ = try await client.appendPartialUpload(claimed, at: 0, body: body(bytes[...]))
        await assertStatus(409) { try await self.client.ingestPartialUpload(claimed, options: IngestOptions()) }
        XCTAssertEqual(partialFiles(), [])
        let page = try await client.list(ListQuery(includeDeleted: true))
        XCTAssertEqual(page.total, 0, "nothing is stored")
    }

    func testBadRequestsGetClearErrorsAndLoseNothing() async throws {
        let bytes = awkwardBytes(count: 50_000)
        let hash = SHA256Hasher.hex(of: bytes)
        _ = try await client.appendPartialUpload(hash, at: 0, body: body(bytes[..<20_000]))

        let past = try await raw(.PUT, "/partial/\(hash)?offset=30000", body: Data(bytes[20_000...]))
        XCTAssertEqual(past.status, 409)
        XCTAssertTrue(past.errorMessage?.contains("holds 20000 bytes") ?? false, past.errorMessage ?? "")
        let badOffset = try await raw(.PUT, "/partial/\(hash)?offset=-1", body: Data([1]))
        XCTAssertEqual(badOffset.status, 400)
        let badHash = try await raw(.PUT, "/partial/xyz?offset=0", body: Data([1]))
        XCTAssertEqual(badHash.status, 400)
        let badFields = try await raw(.POST, "/partial/\(hash)/ingest", body: Data(#"{"created_at":"yesterday"}"#.utf8))
        XCTAssertEqual(badFields.status, 400)
        let notObject = try await raw(.POST, "/partial/\(hash)/ingest", body: Data("[1]".utf8))
        XCTAssertEqual(notObject.status, 400)
        let nothing = try await raw(.POST, "/partial/\(SHA256Hasher.hex(of: [9]))/ingest", body: Data("{}".utf8))
        XCTAssertEqual(nothing.status, 404)
        XCTAssertEqual(nothing.json?["status"] as? String, "error")

        let kept = try await held(hash)
        XCTAssertEqual(kept, Array(bytes[..<20_000]), "refused requests leave the upload as it was")
        try await client.removePartialUpload(hash)
        let removed = try await held(hash)
        XCTAssertNil(removed)
    }
}

/// A store started with `--no-partial-uploads` serves only the CAN Service API itself.
final class CANStoreWithoutPartialUploadTests: CANStoreTestCase {
    override var storeArguments: [String] { ["--no-partial-uploads"] }

    func testTheExtensionIsNeitherAnnouncedNorServed() async throws {
        let health = try await client.health()
        XCTAssertNil(health.partialUploads)
        let offers = try await client.offersPartialUploads()
        XCTAssertFalse(offers)
        let put = try await raw(.PUT, "/partial/\(SHA256Hasher.hex(of: [1]))?offset=0", body: Data([1]))
        XCTAssertEqual(put.status, 404)
    }
}
