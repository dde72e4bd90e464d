import CANClient
import CANModel
import Foundation
import NIOCore
import TestSupport
import XCTest

/// `CANClient.ingest(streaming:)`: content that arrives in chunks goes into one ingest request, and a
/// body that fails part way leaves nothing in the store. `CANClient.ingest(bytes:)`: content held in
/// memory goes in one request with every field.
final class CANClientStreamingIngestTests: CANStoreTestCase {
    func testStreamedChunksAreIngestedWithEveryField() async throws {
        let bytes = awkwardBytes(count: 700_000)
        let chunks = stride(from: 0, to: bytes.count, by: 65_536).map { ByteBuffer(bytes: bytes[$0..<min($0 + 65_536, bytes.count)]) }
        let options = IngestOptions(mimeType: "image/png", application: "photos", tags: ["a", "b"], user: "ann",
                                    filename: "cat.png", expectedHash: SHA256Hasher.hex(of: bytes))
        let asset = try await client.ingest(streaming: Chunks(chunks: chunks), size: Int64(bytes.count),
                                            filename: "ignored.bin", options: options)
        XCTAssertEqual(asset.hash, SHA256Hasher.hex(of: bytes))
        XCTAssertEqual(asset.size, Int64(bytes.count))
        XCTAssertEqual(asset.mimeType, "image/png")
        XCTAssertEqual(asset.application, "photos")
        XCTAssertEqual(asset.tags.sorted(), ["a", "b"])
        XCTAssertEqual(asset.user, "ann")
        XCTAssertEqual(asset.filename, "cat.png")
        let (_, stored) = try await downloadAll(asset.hash)
        XCTAssertEqual(stored, bytes)
    }

    func testBodyThatFailsPartWayStoresNothing() async throws {
        let bytes = awkwardBytes(count: 300_000)
        let chunks = [ByteBuffer(bytes: bytes[0..<100_000]), ByteBuffer(bytes: bytes[100_000..<200_000])]
        do {
            _ = try await client.ingest(streaming: Chunks(chunks: chunks, failAtEnd: true), size: Int64(bytes.count),
                                        filename: "broken.bin", options: IngestOptions())
            XCTFail("an ingest whose body failed succeeded")
        } catch {}
        let page = try await client.list(ListQuery(includeDeleted: true))
        XCTAssertEqual(page.total, 0)
        let cleared = await eventually(timeout: 10) { self.uploadFiles().isEmpty }
        XCTAssertTrue(cleared, "the store kept the broken upload: \(uploadFiles())")
        // The store still takes the next upload.
        let asset = try await client.ingest(streaming: Chunks(chunks: [ByteBuffer(bytes: bytes)]), size: Int64(bytes.count),
                                            filename: "whole.bin", options: IngestOptions())
        XCTAssertEqual(asset.hash, SHA256Hasher.hex(of: bytes))
    }

    func testBytesInMemoryAreIngestedWithEveryFieldAndCheckedAgainstTheExpectedHash() async throws {
        let bytes = awkwardBytes(count: 20_000)
        let options = IngestOptions(mimeType: "text/plain", application: "notes", tags: ["x"], user: "bo",
                                    filename: "note.txt", metadata: ["pages": .number(3)], createdAt: 1_700_000_000_123,
                                    expectedHash: SHA256Hasher.hex(of: bytes))
        let asset = try await client.ingest(bytes: ByteBuffer(bytes: bytes), filename: "ignored.bin", options: options)
        XCTAssertEqual(asset.hash, SHA256Hasher.hex(of: bytes))
        XCTAssertEqual(asset.size, Int64(bytes.count))
        XCTAssertEqual(asset.mimeType, "text/plain")
        XCTAssertEqual(asset.application, "notes")
        XCTAssertEqual(asset.tags, ["x"])
        XCTAssertEqual(asset.user, "bo")
        XCTAssertEqual(asset.filename, "note.txt")
        XCTAssertEqual(asset.metadata, ["pages": .number(3)])
        XCTAssertEqual(asset.createdAt, 1_700_000_000_123)
        let (_, stored) = try await downloadAll(asset.hash)
        XCTAssertEqual(stored, bytes)

        var other = bytes
        other[0] ^= 1
        do {
            _ = try await client.ingest(bytes: ByteBuffer(bytes: other), filename: "other.bin", options: options)
            XCTFail("content that differs from expected_hash was ingested")
        } catch let error as CANClientError {
            XCTAssertEqual(error.status, 409)
        }
        let refused = try? await client.meta(SHA256Hasher.hex(of: other))
        XCTAssertNil(refused, "the refused content is in the store")
    }
}

private struct BodyFailure: Error {}

/// Buffers handed out one by one, then optionally an error instead of the end.
private struct Chunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunks: [ByteBuffer]
    var failAtEnd = false

    func makeAsyncIterator() -> Iterator { Iterator(remaining: chunks[...], failAtEnd: failAtEnd) }

    struct Iterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        let failAtEnd: Bool

        mutating func next() async throws -> ByteBuffer? {
            if let chunk = remaining.popFirst() { return chunk }
            if failAtEnd { throw BodyFailure() }
            return nil
        }
    }
}
