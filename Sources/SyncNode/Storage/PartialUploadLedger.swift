import GRDB

/// The assets this node has started a partial upload of in its CAN Service and not yet ingested or
/// removed: the service cannot list its partial uploads, so this is how a node finds the ones to remove
/// when a library goes, also after a restart.
final class PartialUploadLedger: Sendable {
    private let database: NodeDatabase

    init(database: NodeDatabase) {
        self.database = database
    }

    func record(_ hash: String) throws {
        try database.pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO partial_upload (hash) VALUES (?)", arguments: [hash])
        }
    }

    func forget(_ hash: String) throws {
        try database.pool.write { db in
            try db.execute(sql: "DELETE FROM partial_upload WHERE hash = ?", arguments: [hash])
        }
    }

    func all() throws -> Set<String> {
        try database.pool.read { db in Set(try String.fetchAll(db, sql: "SELECT hash FROM partial_upload")) }
    }
}
