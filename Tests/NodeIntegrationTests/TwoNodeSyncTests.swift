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
}
