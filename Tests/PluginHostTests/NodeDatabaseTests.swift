import Foundation
import GRDB
@testable import SyncNode
import TestSupport
import XCTest

/// The node database's schema: migrations and the query plans that keep hot paths cheap.
final class NodeDatabaseTests: XCTestCase {
    func testMissingBlobsQueryUsesThePartialIndexInsteadOfScanningEveryEntry() throws {
        let directory = try TemporaryDirectory("node-db")
        let database = try NodeDatabase(directory: directory.path)
        let plan = try database.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + DocumentStore.missingBlobsQuery, arguments: [10])
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
}
