import CANClient
import CANModel
import Foundation
import TestSupport
import XCTest

/// `/asset/{hash}` (content and ranges), `/asset/{hash}/meta` (GET, PATCH) and DELETE against a real store.
final class CANStoreAssetTests: CANStoreTestCase {
    func testRangeRequestsAnswer206WithContentRange() async throws {
        let bytes = awkwardBytes(count: 1_000_000)
        let asset = try await ingest(bytes)

        let (closed, closedBytes) = try await downloadAll(asset.hash, range: .closed(10, 19))
        XCTAssertEqual(closed.status, 206)
        XCTAssertEqual(closed.contentRange, "bytes 10-19/1000000")
        XCTAssertEqual(closed.contentLength, 10)
        XCTAssertEqual(closedBytes, Array(bytes[10...19]))

        let (open, openBytes) = try await downloadAll(asset.hash, range: .from(999_990))
        XCTAssertEqual(open.status, 206)
        XCTAssertEqual(open.contentRange, "bytes 999990-999999/1000000")
        XCTAssertEqual(openBytes, Array(bytes[999_990...]))

        let (suffix, suffixBytes) = try await downloadAll(asset.hash, range: .suffix(5))
        XCTAssertEqual(suffix.status, 206)
        XCTAssertEqual(suffixBytes, Array(bytes.suffix(5)))

        let (clamped, clampedBytes) = try await downloadAll(asset.hash, range: .closed(999_999, 5_000_000))
        XCTAssertEqual(clamped.contentRange, "bytes 999999-999999/1000000")
        XCTAssertEqual(clampedBytes, [bytes[999_999]])

        await assertStatus(416) { try await self.client.download(asset.hash, range: .from(1_000_000)) }
        let unsatisfiable = try await raw(.GET, "/asset/\(asset.hash)", headers: ["Range": "bytes=2000000-"])
        XCTAssertEqual(unsatisfiable.status, 416)
        XCTAssertEqual(unsatisfiable.headers["content-range"], "bytes */1000000")

        let ignored = try await raw(.GET, "/asset/\(asset.hash)", headers: ["Range": "lines=1-2"])
        XCTAssertEqual(ignored.status, 200)
        XCTAssertEqual(ignored.body.count, bytes.count)
    }

    func testDownloadToFileHandleWritesTheBytes() async throws {
        let bytes = awkwardBytes(count: 2_500_000)
        let asset = try await ingest(bytes)
        let target = directory.file("copy.bin")
        FileManager.default.createFile(atPath: target.path, contents: nil)
        let handle = try FileHandle(forWritingTo: target)
        let written = try await client.download(asset.hash, to: handle)
        try handle.close()
        XCTAssertEqual(written, Int64(bytes.count))
        XCTAssertEqual(Array(try Data(contentsOf: target)), bytes)

        let partial = directory.file("part.bin")
        FileManager.default.createFile(atPath: partial.path, contents: nil)
        let partialHandle = try FileHandle(forWritingTo: partial)
        try await client.download(asset.hash, range: .closed(100, 199), to: partialHandle)
        try partialHandle.close()
        XCTAssertEqual(Array(try Data(contentsOf: partial)), Array(bytes[100...199]))

        // A long range is streamed in chunks: one that starts and ends inside chunks comes back whole.
        let (long, longBytes) = try await downloadAll(asset.hash, range: .closed(65_000, 2_400_000))
        XCTAssertEqual(long.status, 206)
        XCTAssertEqual(longBytes, Array(bytes[65_000...2_400_000]))
    }

    func testBadHashesAre400AndUnknownAssetsAre404() async throws {
        for path in ["/asset/nothex", "/asset/\(String(repeating: "g", count: 64))/meta", "/asset/abc"] {
            let response = try await raw(.GET, path)
            XCTAssertEqual(response.status, 400, path)
            XCTAssertEqual(response.json?["status"] as? String, "error")
        }
        let unknown = SHA256Hasher.hex(of: Array("unknown".utf8))
        await assertStatus(404) { try await self.client.meta(unknown) }
        await assertStatus(404) { try await self.client.download(unknown) }
        await assertStatus(404) { try await self.client.updateMeta(unknown, AssetMetadataPatch(user: "x")) }
        await assertStatus(404) { try await self.client.delete(unknown) }
        let response = try await raw(.DELETE, "/asset/\(unknown)")
        XCTAssertEqual(response.status, 404)
        XCTAssertNotNil(response.errorMessage)
        let noRoute = try await raw(.GET, "/no-such-endpoint")
        XCTAssertEqual(noRoute.status, 404)
        XCTAssertEqual(noRoute.json?["status"] as? String, "error")
    }

    func testPatchReplacesFieldsAndBumpsSeqAndUpdatedAt() async throws {
        let asset = try await ingest([7, 7, 7], options: IngestOptions(application: "paste", tags: ["a"], user: "alice",
                                                                     metadata: ["k": "v"]))
        try await Task.sleep(for: .milliseconds(5))
        let patched = try await client.updateMeta(asset.hash, AssetMetadataPatch(
            tags: ["b", "c"], application: .some(nil), filename: "renamed.bin", metadata: ["k2": true]))
        XCTAssertEqual(patched.tags, ["b", "c"])
        XCTAssertNil(patched.application)
        XCTAssertEqual(patched.user, "alice", "fields not in the patch are kept")
        XCTAssertEqual(patched.filename, "renamed.bin")
        XCTAssertEqual(patched.metadata, ["k2": true])
        XCTAssertGreaterThan(patched.seq ?? 0, asset.seq ?? 0)
        XCTAssertGreaterThan(patched.updatedAt, asset.updatedAt)
        XCTAssertEqual(patched.createdAt, asset.createdAt)
        let observed1 = try await client.meta(asset.hash)
        XCTAssertEqual(observed1, patched)

        let badJSON = try await raw(.PATCH, "/asset/\(asset.hash)/meta", body: Data("{not json".utf8))
        XCTAssertEqual(badJSON.status, 400)
        let badTags = try await raw(.PATCH, "/asset/\(asset.hash)/meta", body: Data(#"{"tags": [1]}"#.utf8))
        XCTAssertEqual(badTags.status, 400)
        let observed2 = try await client.meta(asset.hash).seq
        XCTAssertEqual(observed2, patched.seq, "a refused patch changes nothing")
    }

    func testDeleteMarksDeletedAndHidesUnlessAsked() async throws {
        let keep = try await ingest([1], name: "keep")
        let gone = try await ingest([2], name: "gone")
        let deleted = try await client.delete(gone.hash)
        XCTAssertEqual(deleted.deleted, true)
        XCTAssertGreaterThan(deleted.seq ?? 0, gone.seq ?? 0)

        let visible = try await client.list()
        XCTAssertEqual(visible.assets.map(\.hash), [keep.hash])
        XCTAssertEqual(visible.total, 1)
        let all = try await client.list(ListQuery(includeDeleted: true))
        XCTAssertEqual(Set(all.assets.map(\.hash)), [keep.hash, gone.hash])
        XCTAssertEqual(all.assets.first { $0.hash == gone.hash }?.deleted, true)
        let changes = try await client.list(ListQuery(sinceSeq: gone.seq, includeDeleted: true))
        XCTAssertEqual(changes.assets.map(\.hash), [gone.hash], "a delete is a change in the feed")

        await assertStatus(404) { try await self.client.download(gone.hash) }
        let observed3 = try await client.meta(gone.hash).deleted
        XCTAssertEqual(observed3, true)
        let observed4 = try await client.delete(gone.hash).seq
        XCTAssertEqual(observed4, deleted.seq, "deleting again changes nothing")
        let observed5 = try await client.health().assets
        XCTAssertEqual(observed5, 1)

        let back = try await ingest([2], name: "back")
        XCTAssertEqual(back.isDeleted, false)
        XCTAssertEqual(back.duplicate, false)
        XCTAssertGreaterThan(back.seq ?? 0, deleted.seq ?? 0)
        let observed6 = try await downloadAll(back.hash).1
        XCTAssertEqual(observed6, [2])
    }
}
