import CANClient
import CANModel
import Foundation
import TestSupport
import XCTest

/// A real node and a real store as processes: assets ingested over HTTP become entries of the
/// libraries whose filters match them, within one poll interval, and survive a node restart.
final class AnnouncerIntegrationTests: XCTestCase {
    var storeDirectory: TemporaryDirectory!
    var store: CANStoreProcess!
    var node: NodeProcess!
    var client: CANClient!
    var files: TemporaryDirectory!

    override func setUp() async throws {
        storeDirectory = try TemporaryDirectory("store")
        store = try await CANStoreProcess(dataDirectory: storeDirectory.file("data"))
        node = try NodeProcess(configLines: [
            "can_service_url: \"\(store.baseURL)\"", "poll_interval_secs: 1", "full_scan_interval_secs: 3600",
        ])
        try await node.start()
        client = CANClient(baseURL: store.baseURL)
        files = try TemporaryDirectory("files")
    }

    override func tearDown() async throws {
        node.stop()
        store.stop()
    }

    @discardableResult
    func ingest(_ text: String, _ options: IngestOptions) async throws -> Asset {
        let path = files.file(UUID().uuidString).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try await client.ingest(fileAt: path, options: options)
    }

    func createLibrary(_ name: String, _ filter: [String: Any], on other: NodeProcess? = nil) async throws -> String {
        let api = (other ?? node).apiURL
        let reply = try await TestHTTP.request("POST", "\(api)/libraries", json: ["name": name, "filter": filter])
        XCTAssertEqual(reply.status, 201, reply.text)
        return try XCTUnwrap((reply.data as? [String: Any])?["id"] as? String, reply.text)
    }

    func entryHashes(_ library: String, on other: NodeProcess? = nil) async throws -> Set<String> {
        let reply = try await TestHTTP.get("\((other ?? node).apiURL)/libraries/\(library)/entries")
        let entries = reply.data as? [[String: Any]] ?? []
        return Set(entries.filter { $0["deleted"] as? Bool == false }.compactMap { $0["hash"] as? String })
    }

    func testEachFilterKindAnnouncesExactlyItsAssets() async throws {
        let photo = try await ingest("a photo", IngestOptions(mimeType: "image/jpeg", application: "camera",
                                                             tags: ["photos", "2024"], user: "alice", filename: "beach.jpg"))
        let paste = try await ingest("a paste", IngestOptions(mimeType: "text/plain", application: "paste", user: "bob"))
        let backup = try await ingest("a backup", IngestOptions(mimeType: "application/zip", tags: ["backup"], user: "alice"))
        let all = [photo.hash, paste.hash, backup.hash]

        let expectations: [(String, [String: Any], Set<String>)] = [
            ("pastes", ["application": "paste"], [paste.hash]),
            ("images", ["mime_prefix": "image/"], [photo.hash]),
            ("tagged", ["tags": ["backup", "photos"]], [photo.hash, backup.hash]),
            ("alice", ["user": "alice"], [photo.hash, backup.hash]),
            ("picked", ["hashes": [paste.hash, backup.hash]], [paste.hash, backup.hash]),
            ("alice-zips", ["user": "alice", "mime_prefix": "application/"], [backup.hash]),
            ("everything", [:], Set(all)),
        ]
        var libraries: [(String, Set<String>)] = []
        for (name, filter, expected) in expectations {
            libraries.append((try await createLibrary(name, filter), expected))
        }
        for (id, expected) in libraries {
            let matched = try await eventually(timeout: 5) { try await self.entryHashes(id) == expected }
            let actual = try await entryHashes(id)
            XCTAssertTrue(matched, "library \(id): expected \(expected), got \(actual)")
        }

        // A new asset arrives through the change feed within one poll interval (1 s here).
        let started = Date()
        let later = try await ingest("another paste", IngestOptions(mimeType: "text/plain", application: "paste"))
        let pastes = libraries[0].0
        let arrived = try await eventually(timeout: 3) { try await self.entryHashes(pastes).contains(later.hash) }
        XCTAssertTrue(arrived, "a new matching asset was not announced")
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)

        // Library details show the count and the last announce time.
        let details = try await TestHTTP.get("\(node.apiURL)/libraries/\(pastes)").data as? [String: Any]
        XCTAssertEqual(details?["entry_count"] as? Int, 2)
        XCTAssertNotNil(details?["last_announce_at"] as? Int)

        // Restart: libraries and entries are still there.
        var before: [String: Set<String>] = [:]
        for (id, _) in libraries { before[id] = try await entryHashes(id) }
        XCTAssertEqual(before[libraries.last!.0], Set(all + [later.hash]))
        node.stop()
        try await node.start()
        for (id, _) in libraries {
            let entries = try await entryHashes(id)
            XCTAssertEqual(entries, before[id], "after restart, library \(id)")
        }
        let listed = try await TestHTTP.get("\(node.apiURL)/libraries").data as? [[String: Any]]
        XCTAssertEqual(listed?.count, expectations.count)
    }

    func testMetadataChangeUpdatesAndDeletionTombstones() async throws {
        let asset = try await ingest("notes", IngestOptions(mimeType: "text/plain", application: "paste", tags: ["a"]))
        let library = try await createLibrary("pastes", ["application": "paste"])
        let announced = try await eventually(timeout: 5) { try await self.entryHashes(library) == [asset.hash] }
        XCTAssertTrue(announced)

        _ = try await client.updateMeta(asset.hash, AssetMetadataPatch(tags: ["a", "b"]))
        let updated = try await eventually(timeout: 5) {
            let entries = try await TestHTTP.get("\(self.node.apiURL)/libraries/\(library)/entries").data as? [[String: Any]]
            return (entries?.first?["tags"] as? [String]) == ["a", "b"]
        }
        XCTAssertTrue(updated, "the metadata change did not reach the entry")

        _ = try await client.delete(asset.hash)
        let tombstoned = try await eventually(timeout: 5) {
            let entries = try await TestHTTP.get("\(self.node.apiURL)/libraries/\(library)/entries").data as? [[String: Any]]
            return entries?.count == 1 && entries?.first?["deleted"] as? Bool == true
        }
        XCTAssertTrue(tombstoned, "the deletion did not become a tombstone")
        let details = try await TestHTTP.get("\(node.apiURL)/libraries/\(library)").data as? [String: Any]
        XCTAssertEqual(details?["entry_count"] as? Int, 0)
        XCTAssertEqual(details?["tombstone_count"] as? Int, 1)
    }

    func entryStates(_ library: String) async throws -> [String: (deleted: Bool, tags: [String])] {
        let entries = try await TestHTTP.get("\(node.apiURL)/libraries/\(library)/entries").data as? [[String: Any]] ?? []
        var states: [String: (deleted: Bool, tags: [String])] = [:]
        for entry in entries {
            guard let hash = entry["hash"] as? String, let deleted = entry["deleted"] as? Bool else { continue }
            states[hash] = (deleted, entry["tags"] as? [String] ?? [])
        }
        return states
    }

    /// A metadata change that takes an asset out of a library's filter tombstones its entry there,
    /// so peers drop it too; a later change that brings it back makes the entry live again.
    func testLeavingTheFilterTombstonesAndComingBackRevives() async throws {
        let asset = try await ingest("tagged notes", IngestOptions(mimeType: "text/plain", tags: ["keep"]))
        let other = try await ingest("other notes", IngestOptions(mimeType: "text/plain", tags: ["keep"]))
        let library = try await createLibrary("kept", ["tags": ["keep"]])
        let everything = try await createLibrary("everything", [:])
        let announced = try await eventually(timeout: 5) { try await self.entryHashes(library) == [asset.hash, other.hash] }
        XCTAssertTrue(announced, "the tagged assets were not announced")

        _ = try await client.updateMeta(asset.hash, AssetMetadataPatch(tags: ["dropped"]))
        let tombstoned = try await eventually(timeout: 5) {
            try await self.entryStates(library)[asset.hash]?.deleted == true
        }
        let states = try await entryStates(library)
        XCTAssertTrue(tombstoned, "leaving the filter did not tombstone the entry: \(states)")
        XCTAssertEqual(states[other.hash]?.deleted, false, "the other asset's entry must stay live")
        XCTAssertEqual(states.count, 2)
        let details = try await TestHTTP.get("\(node.apiURL)/libraries/\(library)").data as? [String: Any]
        XCTAssertEqual(details?["entry_count"] as? Int, 1)
        XCTAssertEqual(details?["tombstone_count"] as? Int, 1)
        // A library whose filter still matches keeps the asset live, with its new tags.
        let unfiltered = try await eventually(timeout: 5) {
            let entry = try await self.entryStates(everything)[asset.hash]
            return entry?.deleted == false && entry?.tags == ["dropped"]
        }
        let unfilteredStates = try await entryStates(everything)
        XCTAssertTrue(unfiltered, "the unfiltered library lost the asset or its new tags: \(unfilteredStates)")

        _ = try await client.updateMeta(asset.hash, AssetMetadataPatch(tags: ["dropped", "keep"]))
        let revived = try await eventually(timeout: 5) {
            let entry = try await self.entryStates(library)[asset.hash]
            return entry?.deleted == false && entry?.tags == ["dropped", "keep"]
        }
        let revivedStates = try await entryStates(library)
        XCTAssertTrue(revived, "coming back into the filter did not make the entry live: \(revivedStates)")
        let after = try await TestHTTP.get("\(node.apiURL)/libraries/\(library)").data as? [String: Any]
        XCTAssertEqual(after?["entry_count"] as? Int, 2)
        XCTAssertEqual(after?["tombstone_count"] as? Int, 0)
    }

    /// A service without `seq` (the contract makes it optional) ignores `since_seq` and `wait_ms` and
    /// answers newest first, so with 1000 assets or more every fast-poll page is full. The node must
    /// still find every matching asset (the full scan pages by offset), poll about once per
    /// interval instead of re-reading the same page in a loop, and see new assets through the poll.
    func testServiceWithoutSeqIsScannedByOffsetAndPolledOncePerInterval() async throws {
        let service = try await AnnouncerSeqlessService(count: 1200, tagEvery: 100)
        defer { service.stop() }
        let seqless = try NodeProcess(label: "seqless-node", configLines: [
            "can_service_url: \"\(service.baseURL)\"", "poll_interval_secs: 1", "full_scan_interval_secs: 3600",
        ])
        try await seqless.start()
        defer { seqless.stop() }

        let library = try await createLibrary("picked", ["tags": ["pick"]], on: seqless)
        // Index 0 is the oldest asset: only the second page (offset 1000) of a newest-first scan has it.
        let expected = Set(stride(from: 0, to: 1200, by: 100).map(AnnouncerSeqlessService.hash))
        let found = try await eventually(timeout: 20) { try await self.entryHashes(library, on: seqless) == expected }
        let actual = try await entryHashes(library, on: seqless)
        XCTAssertTrue(found, "expected the \(expected.count) tagged assets, got \(actual.count): \(actual.subtracting(expected))")

        let before = try await service.stats()["list"] ?? 0
        try await Task.sleep(for: .seconds(4))
        let polls = (try await service.stats()["list"] ?? 0) - before
        XCTAssertLessThanOrEqual(polls, 10, "the node sent \(polls) /list requests in 4 s at a 1 s poll interval")
        XCTAssertGreaterThan(polls, 0, "the node stopped polling")

        try await service.add(5000)
        let added = AnnouncerSeqlessService.hash(5000)
        let arrived = try await eventually(timeout: 5) { try await self.entryHashes(library, on: seqless).contains(added) }
        XCTAssertTrue(arrived, "a new asset on a service without seq was not announced by the poll")
    }

    func testBadLibraryRequestsAreClear400s() async throws {
        let cases: [(Any, String)] = [
            (["name": "x", "filter": ["colour": "red"]], "unknown filter field 'colour' (known fields: application, hashes, mime_prefix, tags, user)"),
            (["filter": [:]], "field 'name' is required and must be a string"),
            (["name": "x", "filter": "paste"], "field 'filter' must be a JSON object such as {\"application\": \"paste\"}"),
            (["name": "x", "filters": [:]], "unknown field 'filters' (a library has 'name' and 'filter')"),
            (["name": "x", "filter": ["tags": "photos"]], "filter field 'tags' must be a list of strings, not a string"),
        ]
        for (body, message) in cases {
            let reply = try await TestHTTP.request("POST", "\(node.apiURL)/libraries", json: body)
            XCTAssertEqual(reply.status, 400, reply.text)
            XCTAssertEqual(reply.json?["status"] as? String, "error")
            XCTAssertEqual(reply.json?["error"] as? String, message)
        }
        let notJSON = try await TestHTTP.request("POST", "\(node.apiURL)/libraries", body: Data("{nope".utf8))
        XCTAssertEqual(notJSON.status, 400)
        let badID = try await TestHTTP.get("\(node.apiURL)/libraries/not-a-uuid")
        XCTAssertEqual(badID.status, 400)
        let unknown = try await TestHTTP.get("\(node.apiURL)/libraries/\(UUID().uuidString)")
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.json?["status"] as? String, "error")

        let id = try await createLibrary("gone", [:])
        let deleted = try await TestHTTP.request("DELETE", "\(node.apiURL)/libraries/\(id)")
        XCTAssertEqual(deleted.status, 200)
        let gone = try await TestHTTP.get("\(node.apiURL)/libraries/\(id)")
        XCTAssertEqual(gone.status, 404)
    }

    func testStatusReportsTheCANServiceAndLibraries() async throws {
        try await ingest("x", IngestOptions(mimeType: "text/plain"))
        _ = try await createLibrary("all", [:])
        let status = try await TestHTTP.get("\(node.apiURL)/status").data as? [String: Any]
        let service = status?["can_service"] as? [String: Any]
        XCTAssertEqual(service?["reachable"] as? Bool, true)
        XCTAssertEqual(service?["assets"] as? Int, 1)
        XCTAssertEqual(service?["url"] as? String, store.baseURL)
        XCTAssertEqual(status?["library_count"] as? Int, 1)
        store.stop()
        let down = try await TestHTTP.get("\(node.apiURL)/status").data as? [String: Any]
        XCTAssertEqual((down?["can_service"] as? [String: Any])?["reachable"] as? Bool, false)
    }
}
