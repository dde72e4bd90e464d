import CANClient
import CANModel
import Foundation
import TestSupport
import XCTest

/// `/list` and `/search`: ordering, paging, the `since_seq` change feed and the `wait_ms` long poll.
final class CANStoreQueryTests: CANStoreTestCase {
    func testListIsNewestFirstAndPagesWithOffset() async throws {
        var hashes: [String] = []
        for value in 0..<5 { hashes.append(try await ingest([UInt8(value)]).hash) }
        let first = try await client.list(ListQuery(limit: 2))
        XCTAssertEqual(first.assets.map(\.hash), [hashes[4], hashes[3]])
        XCTAssertEqual(first.total, 5)
        let second = try await client.list(ListQuery(limit: 2, offset: 2))
        XCTAssertEqual(second.assets.map(\.hash), [hashes[2], hashes[1]])
        let defaulted = try await client.list()
        XCTAssertEqual(defaulted.assets.count, 5)
        let malformed = try await raw(.GET, "/list?limit=many")
        XCTAssertEqual(malformed.status, 400)
    }

    func testSinceSeqPagesOldestFirstWithoutGaps() async throws {
        var hashes: [String] = []
        for value in 0..<7 { hashes.append(try await ingest([UInt8(value), 1]).hash) }
        _ = try await client.updateMeta(hashes[0], AssetMetadataPatch(user: "moved-to-end"))

        var cursor: Int64 = 0
        var seen: [String] = []
        var seqs: [Int64] = []
        for _ in 0..<10 {
            let page = try await client.list(ListQuery(limit: 3, sinceSeq: cursor))
            if page.assets.isEmpty { break }
            seen += page.assets.map(\.hash)
            seqs += page.assets.compactMap(\.seq)
            cursor = try XCTUnwrap(page.lastSeq)
        }
        XCTAssertEqual(seen, Array(hashes[1...]) + [hashes[0]], "oldest change first; the patched asset last")
        XCTAssertEqual(seqs, seqs.sorted())
        XCTAssertEqual(Set(seqs).count, seqs.count, "seq is strictly increasing")
        let caughtUp = try await client.list(ListQuery(sinceSeq: cursor))
        XCTAssertEqual(caughtUp.assets, [])
        XCTAssertEqual(caughtUp.lastSeq, cursor)
    }

    func testLongPollAnswersAsSoonAsAChangeLands() async throws {
        let first = try await ingest([1])
        let cursor = try XCTUnwrap(first.seq)
        let client = self.client!
        let started = ContinuousClock.now
        let poll = Task { try await client.list(ListQuery(sinceSeq: cursor, waitMilliseconds: 20_000)) }
        try await Task.sleep(for: .milliseconds(300))
        let second = try await ingest([2])
        let page = try await poll.value
        let elapsed = ContinuousClock.now - started
        XCTAssertEqual(page.assets.map(\.hash), [second.hash])
        XCTAssertLessThan(elapsed, .seconds(10), "the poll must end on the change, not at wait_ms")
    }

    func testLongPollWithoutChangesWaitsThenAnswersEmpty() async throws {
        let asset = try await ingest([1])
        let started = ContinuousClock.now
        let page = try await client.list(ListQuery(sinceSeq: asset.seq, waitMilliseconds: 400))
        let elapsed = ContinuousClock.now - started
        XCTAssertEqual(page.assets, [])
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(350))
        XCTAssertLessThan(elapsed, .seconds(10))
        let noWait = try await client.list(ListQuery(sinceSeq: asset.seq))
        XCTAssertEqual(noWait.assets, [])
    }

    func testSearchFiltersCombine() async throws {
        let photo = try await ingest([1], options: IngestOptions(mimeType: "image/jpeg", application: "camera",
                                                                tags: ["photos", "2024"], user: "alice",
                                                                filename: "Holiday-Beach.JPG"))
        let paste = try await ingest([2], options: IngestOptions(mimeType: "text/plain", application: "paste",
                                                                tags: ["notes"], user: "bob", filename: "todo.txt"))
        let scan = try await ingest([3], options: IngestOptions(mimeType: "image/png", application: "scanner",
                                                               tags: ["backup"], user: "alice", filename: "receipt.png"))

        func search(_ filter: SearchFilter) async throws -> Set<String> {
            Set(try await client.search(filter).assets.map(\.hash))
        }
        let observed1 = try await search(SearchFilter(application: "paste"))
        XCTAssertEqual(observed1, [paste.hash])
        let observed2 = try await search(SearchFilter(tags: ["photos", "backup"]))
        XCTAssertEqual(observed2, [photo.hash, scan.hash])
        let observed3 = try await search(SearchFilter(user: "alice"))
        XCTAssertEqual(observed3, [photo.hash, scan.hash])
        let observed4 = try await search(SearchFilter(mimePrefix: "image/"))
        XCTAssertEqual(observed4, [photo.hash, scan.hash])
        let observed5 = try await search(SearchFilter(filenameContains: "beach"))
        XCTAssertEqual(observed5, [photo.hash])
        let observed6 = try await search(SearchFilter(tags: ["backup"], user: "alice", mimePrefix: "image/"))
        XCTAssertEqual(observed6, [scan.hash])
        let observed7 = try await search(SearchFilter(application: "paste", user: "alice"))
        XCTAssertEqual(observed7, [])
        let page = try await client.search(SearchFilter(user: "alice"), ListQuery(limit: 1))
        XCTAssertEqual(page.assets.count, 1)
        XCTAssertEqual(page.total, 2)

        _ = try await client.delete(scan.hash)
        let observed8 = try await search(SearchFilter(user: "alice"))
        XCTAssertEqual(observed8, [photo.hash])
        let withDeleted = try await client.search(SearchFilter(user: "alice"), ListQuery(includeDeleted: true))
        XCTAssertEqual(Set(withDeleted.assets.map(\.hash)), [photo.hash, scan.hash])
    }
}
