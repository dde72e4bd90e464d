import Foundation
import GRDB
@testable import SyncNode
import SyncProtocol
import TestSupport
import XCTest

/// The node database's schema: migrations and the query plans that keep hot paths cheap.
final class NodeDatabaseTests: XCTestCase {
    func testMissingBlobsQueryUsesThePartialIndexInsteadOfScanningEveryEntry() throws {
        let directory = try TemporaryDirectory("node-db")
        let database = try NodeDatabase(directory: directory.path)
        let plan = try database.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + DocumentStore.missingBlobsQuery(libraries: 2), arguments: ["a", "b", 10])
                .map { $0["detail"] as String? ?? "" }
        }
        XCTAssertTrue(plan.contains { $0.contains("USING INDEX entry_missing") }, "plan: \(plan)")
        XCTAssertFalse(plan.contains { $0.contains("TEMP B-TREE") }, "the query sorts instead of reading in index order: \(plan)")
    }

    func testMigrationsReachTheLatestVersionAndReopenCleanly() throws {
        let directory = try TemporaryDirectory("node-db")
        _ = try NodeDatabase(directory: directory.path)
        let reopened = try NodeDatabase(directory: directory.path)
        let applied = try reopened.pool.read { try NodeDatabase.migrator.appliedIdentifiers($0) }
        XCTAssertEqual(applied, Set(NodeDatabase.migrator.migrations))
        XCTAssertTrue(try reopened.pool.read { try NodeDatabase.migrator.hasCompletedMigrations($0) })
    }

    /// What the fetcher is handed: live entries of the libraries it can fetch for, smallest first,
    /// without those whose content the store holds (known before or after the entry arrived).
    func testMissingBlobsListOnlyTheGivenLibrariesSmallestFirst() throws {
        let directory = try TemporaryDirectory("node-db")
        let database = try NodeDatabase(directory: directory.path)
        let documents = DocumentStore(database: database)
        let (x, y) = (UUID(), UUID())
        let secret = LibrarySecret(Bytes32([UInt8](repeating: 7, count: 32))!)
        try database.pool.write { db in
            for id in [x, y] {
                try db.execute(sql: "INSERT INTO library (id, name, filter_json, secret, created_at) VALUES (?, 'l', '{}', ?, 0)",
                               arguments: [id.uuidString.lowercased(), Data(secret.bytes32.bytes)])
            }
        }
        let author = SigningKey(seed: Bytes32([UInt8](repeating: 9, count: 32))!)
        func hash(_ n: UInt8) -> String { Bytes32([UInt8](repeating: n, count: 32))!.hex }
        try documents.markLocal([hash(4)], true)  // held before any entry names it
        try documents.transaction { transaction in
            for (library, n, size) in [(x, UInt8(1), UInt64(30)), (x, 2, 10), (y, 3, 20), (y, 4, 5), (y, 5, 40)] {
                let manifest = try AssetManifest(hashHex: hash(n), size: size, mimeType: "a/b", createdAt: 1, updatedAt: 1)
                try transaction.apply(SyncEntry(manifest: manifest, timestamp: 1, library: LibraryKeys(secret: secret), author: author),
                                      to: library)
            }
        }
        try documents.markLocal([hash(5)], true)  // held after its entry arrived

        XCTAssertEqual(try documents.missingBlobs(limit: 10, in: [x, y]).map(\.hash), [hash(2), hash(3), hash(1)])
        XCTAssertEqual(try documents.missingBlobs(limit: 10, in: [y]).map(\.hash), [hash(3)])
        XCTAssertEqual(try documents.missingBlobs(limit: 1, in: [x, y]).map(\.hash), [hash(2)])
        XCTAssertEqual(try documents.missingBlobs(limit: 10, in: []).count, 0)
        XCTAssertEqual(try documents.missingBlobs(limit: 10, in: [x]).map(\.libraryID), [x, x])
    }
}
