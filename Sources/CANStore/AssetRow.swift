import CANModel
import Foundation
import GRDB

/// Converts between `assets` table rows and `Asset` values (tags and metadata are stored as JSON text).
enum AssetRow {
    static let columns = "hash, size, mime_type, application, tags, user, filename, metadata, created_at, updated_at, seq, deleted"

    static func asset(from row: Row) throws -> Asset {
        let tagsText: String = row["tags"]
        let metadataText: String = row["metadata"]
        let deleted: Bool = row["deleted"]
        return Asset(
            hash: row["hash"], size: row["size"], mimeType: row["mime_type"], application: row["application"],
            tags: try JSONValue.parseStrings(tagsText), user: row["user"],
            filename: row["filename"],
            metadata: try JSONValue.parseObject(metadataText),
            createdAt: row["created_at"], updatedAt: row["updated_at"], seq: row["seq"], deleted: deleted)
    }

    static func fetch(_ db: Database, hash: String) throws -> Asset? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM assets WHERE hash = ?"), arguments: [hash]).map(asset(from:))
    }

    /// Inserts or replaces the row for `asset.hash` with every field of `asset`.
    static func save(_ db: Database, _ asset: Asset) throws {
        var tags = JSONWriter(capacity: 64)
        tags.strings(asset.tags)
        var metadata = JSONWriter(capacity: 64)
        metadata.object(asset.metadata)
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO assets (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").execute(
            arguments: [
                asset.hash, asset.size, asset.mimeType, asset.application,
                String(decoding: tags.bytes, as: UTF8.self), asset.user, asset.filename,
                String(decoding: metadata.bytes, as: UTF8.self), asset.createdAt,
                asset.updatedAt, asset.seq, asset.isDeleted,
            ])
    }

    /// Bumps the store's single change counter and returns the new value; call inside the write transaction
    /// that makes the change, so the counter and the change commit together.
    static func nextSeq(_ db: Database) throws -> Int64 {
        try db.cachedStatement(sql: "UPDATE counters SET value = value + 1 WHERE name = 'seq'").execute()
        return try currentSeq(db)
    }

    static func currentSeq(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM counters WHERE name = 'seq'")) ?? 0
    }
}
