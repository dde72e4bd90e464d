import GRDB

/// Named integer positions that must survive restarts (e.g. the announcer's `since_seq`).
public final class CursorStore: Sendable {
    private let database: NodeDatabase

    public init(database: NodeDatabase) {
        self.database = database
    }

    public func value(_ name: String) throws -> Int64? {
        try database.pool.read { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM cursor WHERE name = ?"), arguments: [name])
        }
    }

    /// Sets the cursor inside a write transaction already open, so it commits with what it marks.
    public static func set(_ name: String, _ value: Int64, in db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO cursor (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value")
            .execute(arguments: [name, value])
    }
}
