import GRDB

/// The store's SQLite schema, as an ordered list of migrations; never edit a shipped migration, add one.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-assets") { db in
            // `seq` is the asset's latest change number from the single counter below, so it is unique.
            try db.execute(sql: """
                CREATE TABLE assets (
                    hash TEXT PRIMARY KEY NOT NULL,
                    size INTEGER NOT NULL,
                    mime_type TEXT NOT NULL,
                    application TEXT,
                    tags TEXT NOT NULL DEFAULT '[]',
                    user TEXT,
                    filename TEXT,
                    metadata TEXT NOT NULL DEFAULT '{}',
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    seq INTEGER NOT NULL UNIQUE,
                    deleted INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX assets_deleted_seq ON assets(deleted, seq);
                CREATE TABLE counters (
                    name TEXT PRIMARY KEY NOT NULL,
                    value INTEGER NOT NULL
                );
                INSERT INTO counters (name, value) VALUES ('seq', 0);
                """)
        }
        return migrator
    }
}
