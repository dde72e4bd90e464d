import Foundation
import GRDB

/// The node's SQLite database (`sync.sqlite` in the data directory): libraries, their documents,
/// the announcer's cursor, peers and the fetcher's partial uploads. Schema changes are versioned
/// migrations, applied on open.
public final class NodeDatabase: Sendable {
    public let pool: DatabasePool

    public static let fileName = "sync.sqlite"

    public init(directory: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        // In WAL mode NORMAL never corrupts the database; a power cut may lose the last commits, which
        // the announcer's next scan and the next reconciliation with peers bring back.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        pool = try DatabasePool(path: URL(fileURLWithPath: directory).appendingPathComponent(Self.fileName).path,
                                configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: libraries, entries, cursors") { db in
            try db.create(table: "library") { table in
                table.primaryKey("id", .text)
                table.column("name", .text).notNull()
                table.column("filter_json", .text).notNull()
                table.column("secret", .blob).notNull()
                table.column("created_at", .integer).notNull()
                table.column("last_announce_at", .integer)
                // The node whose ticket this library was joined with (hex node id), if any.
                table.column("inviter", .text)
            }
            try db.create(table: "entry") { table in
                table.column("library_id", .text).notNull().references("library", onDelete: .cascade)
                table.column("hash", .text).notNull()
                table.column("timestamp", .integer).notNull()
                table.column("author", .text).notNull()
                table.column("deleted", .boolean).notNull()
                table.column("size", .integer).notNull()
                table.column("digest", .blob).notNull()
                table.column("encoded", .blob).notNull()
                // 1 once this node's CAN Service holds the asset's bytes.
                table.column("local", .boolean).notNull().defaults(to: false)
                table.primaryKey(["library_id", "hash"])
            }
            try db.create(index: "entry_hash", on: "entry", columns: ["hash"])
            try db.create(table: "peer") { table in
                table.primaryKey("node_id", .text)
                table.column("addresses", .text).notNull()
                table.column("sources", .text).notNull()
                table.column("last_discovered", .integer).notNull()
            }
            try db.create(table: "cursor") { table in
                table.primaryKey("name", .text)
                table.column("value", .integer).notNull()
            }
        }
        migrator.registerMigration("v2: index of entries whose bytes are missing") { db in
            // The fetcher asks for missing blobs, smallest first, on every wake-up; without this index
            // each ask scans and sorts the whole entry table.
            try db.execute(sql: "CREATE INDEX entry_missing ON entry(size) WHERE deleted = 0 AND local = 0")
        }
        migrator.registerMigration("v3: the hashes this node's CAN Service holds") { db in
            // Every live asset the announcer has seen in the service, in a library or not, so a peer's
            // entry for one of them is never downloaded. Until the next full scan it starts from the
            // entries already marked local.
            try db.execute(sql: """
                CREATE TABLE held (hash TEXT PRIMARY KEY) WITHOUT ROWID;
                INSERT OR IGNORE INTO held SELECT DISTINCT hash FROM entry WHERE local = 1;
                """)
        }
        migrator.registerMigration("v4: the partial uploads this node started in its CAN Service") { db in
            try db.execute(sql: "CREATE TABLE partial_upload (hash TEXT PRIMARY KEY) WITHOUT ROWID")
        }
        return migrator
    }
}
