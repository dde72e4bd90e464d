import Foundation
import GRDB
import SyncProtocol

/// The replicated document of every library: one signed entry per asset hash, kept in SQLite.
/// An entry replaces the stored one only when it wins the deterministic conflict order, so every
/// node that has seen the same entries holds the same document.
public final class DocumentStore: Sendable {
    private let database: NodeDatabase

    public init(database: NodeDatabase) {
        self.database = database
    }

    /// What `apply` did with an entry.
    public enum Outcome: Sendable, Equatable {
        case inserted, replaced, unchanged
    }

    /// Stores `entry` in library `libraryID` unless the stored entry for its hash wins over it.
    @discardableResult
    public func apply(_ entry: SyncEntry, to libraryID: UUID) throws -> Outcome {
        try database.pool.write { db in
            let id = libraryID.uuidString.lowercased()
            let hash = entry.manifest.hashHex
            let stored = try Data.fetchOne(db, sql: "SELECT encoded FROM entry WHERE library_id = ? AND hash = ?",
                                           arguments: [id, hash])
            if let stored {
                let current = try SyncEntry(decoding: Array(stored))
                guard entry.wins(over: current) else { return .unchanged }
            }
            try db.execute(sql: """
                INSERT INTO entry (library_id, hash, timestamp, author, deleted, size, encoded)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(library_id, hash) DO UPDATE SET timestamp = excluded.timestamp, author = excluded.author,
                    deleted = excluded.deleted, size = excluded.size, encoded = excluded.encoded
                """, arguments: [id, hash, Int64(bitPattern: entry.timestamp), entry.author.hex, entry.manifest.deleted,
                                 Int64(entry.manifest.size), Data(entry.encoded())])
            return stored == nil ? .inserted : .replaced
        }
    }

    public func entry(_ libraryID: UUID, hash: String) throws -> SyncEntry? {
        try database.pool.read { db in
            try Data.fetchOne(db, sql: "SELECT encoded FROM entry WHERE library_id = ? AND hash = ?",
                              arguments: [libraryID.uuidString.lowercased(), hash])
        }.map { try SyncEntry(decoding: Array($0)) }
    }

    /// Every entry of a library, tombstones included, in hash order.
    public func entries(_ libraryID: UUID) throws -> [SyncEntry] {
        try database.pool.read { db in
            try Data.fetchAll(db, sql: "SELECT encoded FROM entry WHERE library_id = ? ORDER BY hash",
                              arguments: [libraryID.uuidString.lowercased()])
        }.map { try SyncEntry(decoding: Array($0)) }
    }

    /// Live entries and tombstones of a library.
    public func counts(_ libraryID: UUID) throws -> (live: Int, tombstones: Int) {
        try database.pool.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COALESCE(SUM(deleted = 0), 0) AS live, COALESCE(SUM(deleted = 1), 0) AS dead
                FROM entry WHERE library_id = ?
                """, arguments: [libraryID.uuidString.lowercased()])
            return (row?["live"] ?? 0, row?["dead"] ?? 0)
        }
    }

    /// The largest entry timestamp stored, so the clock never goes backwards across restarts.
    public func latestTimestamp() throws -> UInt64 {
        try database.pool.read { db in
            UInt64(bitPattern: try Int64.fetchOne(db, sql: "SELECT MAX(timestamp) FROM entry") ?? 0)
        }
    }
}
