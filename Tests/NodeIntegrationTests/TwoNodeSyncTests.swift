import Foundation
import TestSupport
import XCTest

/// Two real nodes with their bundled stores over loopback QUIC: a library shared by ticket.
final class TwoNodeSyncTests: XCTestCase {
    func testAssetSyncsWithMetadataAfterJoin() async throws {
        let a = try NodeProcess(label: "a", configLines: ["poll_interval_secs: 1"], bundledStore: true)
        let b = try NodeProcess(label: "b", configLines: ["poll_interval_secs: 1"], bundledStore: true)
        try await a.start()
        try await b.start()
        let asset = try await SyncScenario.ingest(Data("hello from a".utf8), into: a, fields: [
            "mime_type": "text/plain", "application": "paste", "tags": "x,y", "user": "alice",
            "filename": "hello.txt", "metadata": #"{"k":[1,2]}"#, "created_at": "1764064800123",
        ])
        let hash = try XCTUnwrap(asset["hash"] as? String)
        let library = try await SyncScenario.createLibrary(on: a, name: "pastes", filter: ["application": "paste"])
        try await SyncScenario.share(library, from: a, to: b)

        let arrived = try await eventually(timeout: 20) { try await SyncScenario.meta(hash, on: b) != nil }
        XCTAssertTrue(arrived, "asset did not reach b\nA:\n\(a.process?.output.suffix(3000) ?? "")\nB:\n\(b.process?.output.suffix(3000) ?? "")")
        let copy = try await SyncScenario.meta(hash, on: b)
        for field in ["mime_type", "application", "user", "filename", "created_at", "size"] {
            XCTAssertEqual("\(copy?[field] ?? "nil")", "\(asset[field] ?? "nil")", field)
        }
        XCTAssertEqual(copy?["tags"] as? [String], ["x", "y"])
        XCTAssertEqual((copy?["metadata"] as? [String: Any])?["k"] as? [Int], [1, 2])
        let bytes = try await SyncScenario.bytes(hash, on: b)
        XCTAssertEqual(bytes, Data("hello from a".utf8))

        // And back: an asset ingested on b reaches a.
        let reply = try await SyncScenario.ingest(Data("hello from b".utf8), into: b, fields: ["application": "paste"])
        let back = try XCTUnwrap(reply["hash"] as? String)
        let returned = try await eventually(timeout: 20) { try await SyncScenario.meta(back, on: a) != nil }
        XCTAssertTrue(returned, "asset did not reach a")
        try await assertAssetsIdentical([hash, back], on: [a, b])

        let peers = try await TestHTTP.get("\(a.apiURL)/peers").data as? [[String: Any]]
        XCTAssertEqual(peers?.count, 1)
        XCTAssertEqual(peers?.first?["state"] as? String, "connected")
        XCTAssertEqual(peers?.first?["libraries"] as? [String], [library])
    }

    /// Content b's store already holds, in none of b's libraries, is not downloaded when a's library
    /// lists it: b takes a's metadata for its copy, and not one byte of it crosses the network.
    func testContentTheStoreAlreadyHoldsIsNotDownloaded() async throws {
        let a = try NodeProcess(label: "a", configLines: ["poll_interval_secs: 1"], bundledStore: true)
        let b = try NodeProcess(label: "b", configLines: ["poll_interval_secs: 1"], bundledStore: true)
        try await a.start()
        try await b.start()
        let contents = Data((0..<300_000).map { UInt8(($0 * 7) % 253) })
        let onB = try await SyncScenario.ingest(contents, into: b, fields: ["application": "notes"])
        let hash = try XCTUnwrap(onB["hash"] as? String)
        _ = try await SyncScenario.ingest(contents, into: a, fields: ["application": "paste", "filename": "shared.bin"])
        let library = try await SyncScenario.createLibrary(on: a, name: "pastes", filter: ["application": "paste"])
        try await SyncScenario.share(library, from: a, to: b)

        var details: [String: Any] = [:]
        let complete = try await eventually(timeout: 20) {
            details = try await TestHTTP.get("\(b.apiURL)/libraries/\(library)").data as? [String: Any] ?? [:]
            return details["entry_count"] as? Int == 1 && details["missing_blobs"] as? Int == 0
        }
        XCTAssertTrue(complete, "b's library: \(details)")
        let adopted = try await eventually(timeout: 20) {
            try await SyncScenario.meta(hash, on: b)?["filename"] as? String == "shared.bin"
        }
        let copy = try await SyncScenario.meta(hash, on: b) ?? [:]
        XCTAssertTrue(adopted, "b's copy kept its own metadata: \(copy)")
        XCTAssertEqual(copy["application"] as? String, "paste")
        let status = try await TestHTTP.get("\(b.apiURL)/status").data as? [String: Any]
        XCTAssertEqual(status?["blob_bytes_received"] as? Int, 0, "b downloaded content its store held")
    }
}
