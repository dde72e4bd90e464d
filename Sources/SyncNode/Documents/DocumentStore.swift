import Foundation
import GRDB
import Synchronization
import SyncProtocol

/// The replicated document of every library: one signed entry per asset hash, kept in SQLite.
/// An entry replaces the stored one only when it wins the deterministic conflict order, so every
/// node that has seen the same entries holds the same document.
public final class DocumentStore: Sendable {
    /// What `DocumentTransaction.apply` did with an entry.
    public enum Outcome: Sendable, Equatable {
        case inserted, replaced, unchanged
    }

    /// An entry that changed a library's document, and the peer it came from (nil: this node).
    public struct Change: Sendable {
        public let libraryID: UUID
        public let entry: SyncEntry
        public let source: PublicKey?
    }

    private let database: NodeDatabase
    private let observers = Mutex<[@Sendable ([Change]) -> Void]>([])

    public init(database: NodeDatabase) {
        self.database = database
    }

    /// Calls `observer` after every transaction that changed a document, with its changes in order.
    public func observe(_ observer: @escaping @Sendable ([Change]) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// Runs `body` in one write transaction, then tells the observers what it changed. Many entries
    /// written together cost one commit instead of one each.
    public func transaction<Result>(_ body: (inout DocumentTransaction) throws -> Result) throws -> Result {
        let (result, changes) = try database.pool.write { db -> (Result, [Change]) in
            var transaction = DocumentTransaction(db: db)
            let result = try body(&transaction)
            return (result, transaction.changes)
        }
        if !changes.isEmpty {
            observers.withLock { $0 }.forEach { $0(changes) }
        }
        return result
    }

    public func entry(_ libraryID: UUID, hash: String) throws -> SyncEntry? {
        try database.pool.read { db in try DocumentTransaction.entry(db, libraryID, hash: hash) }
    }

    /// Every entry of a library, tombstones included, in hash order.
    public func entries(_ libraryID: UUID) throws -> [SyncEntry] {
        try database.pool.read { db in
            try Data.fetchAll(db, sql: "SELECT encoded FROM entry WHERE library_id = ? ORDER BY hash",
                              arguments: [libraryID.uuidString.lowercased()])
        }.map { try SyncEntry(decoding: Array($0)) }
    }

    /// The entries of a library with these hashes (those it has).
    public func entries(_ libraryID: UUID, hashes: some Collection<String>) throws -> [SyncEntry] {
        guard !hashes.isEmpty else { return [] }
        return try database.pool.read { db in
            var found: [Data] = []
            for chunk in Array(hashes).chunked(500) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                found += try Data.fetchAll(db, sql: "SELECT encoded FROM entry WHERE library_id = ? AND hash IN (\(marks))",
                                           arguments: StatementArguments([libraryID.uuidString.lowercased()] + chunk))
            }
            return found
        }.map { try SyncEntry(decoding: Array($0)) }
    }

    /// The (hash, entry digest) pairs of a library, for set reconciliation.
    public func reconcileSet(_ libraryID: UUID) throws -> ReconcileSet {
        let rows = try database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT hash, digest FROM entry WHERE library_id = ?",
                             arguments: [libraryID.uuidString.lowercased()])
        }
        return try ReconcileSet(rows.compactMap { row -> ReconcileItem? in
            guard let key = Bytes32(hex: row["hash"]), let value = Bytes32(row["digest"] as Data) else { return nil }
            return ReconcileItem(key: key, value: value)
        })
    }

    /// Live entries and tombstones of a library, and live entries whose bytes this node lacks.
    public func counts(_ libraryID: UUID) throws -> (live: Int, tombstones: Int, missing: Int) {
        try database.pool.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COALESCE(SUM(deleted = 0), 0) AS live, COALESCE(SUM(deleted = 1), 0) AS dead,
                       COALESCE(SUM(deleted = 0 AND local = 0), 0) AS missing
                FROM entry WHERE library_id = ?
                """, arguments: [libraryID.uuidString.lowercased()])
            return (row?["live"] ?? 0, row?["dead"] ?? 0, row?["missing"] ?? 0)
        }
    }

    /// Served by the partial index `entry_missing`, so its cost follows the number of missing blobs
    /// (the `+` keeps SQLite from choosing the primary key for the library test and then sorting).
    static func missingBlobsQuery(libraries: Int) -> String {
        let placeholders = Array(repeating: "?", count: libraries).joined(separator: ", ")
        return "SELECT library_id, hash, size FROM entry WHERE deleted = 0 AND local = 0 AND +library_id IN (\(placeholders)) ORDER BY size LIMIT ?"
    }

    /// Live entries of `libraries` whose bytes this node lacks, smallest first: what the fetcher
    /// should download. Only ids are read, so polling it stays cheap while thousands are missing.
    public func missingBlobs(limit: Int, in libraries: [UUID]) throws -> [(libraryID: UUID, hash: String, size: UInt64)] {
        guard !libraries.isEmpty else { return [] }
        var arguments = StatementArguments(libraries.map { $0.uuidString.lowercased() })
        arguments += [limit]
        // A node has few libraries: each id is parsed once (UUID parsing goes through sscanf).
        var ids: [String: UUID] = [:]
        return try database.pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: Self.missingBlobsQuery(libraries: libraries.count)), arguments: arguments)
        }.compactMap { row in
            let text: String = row["library_id"]
            guard let id = ids[text] ?? UUID(uuidString: text) else { return nil }
            ids[text] = id
            return (id, row["hash"], UInt64(row["size"] as Int64))
        }
    }

    /// Whether some live entry of any library names this hash.
    public func isLive(hash: String) throws -> Bool {
        try database.pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM entry WHERE hash = ? AND deleted = 0)", arguments: [hash]) ?? false
        }
    }

    /// Records whether this node's CAN Service holds the bytes of `hash`.
    public func markLocal(_ hashes: some Collection<String>, _ local: Bool) throws {
        guard !hashes.isEmpty else { return }
        try transaction { try $0.markLocal(hashes, local) }
    }

    /// Whether this node's CAN Service holds the bytes of `hash`, as far as the node knows.
    public func isLocal(_ hash: String) throws -> Bool {
        try database.pool.read { db in try DocumentTransaction.isHeld(db, hash) }
    }

    /// The largest entry timestamp stored, so the clock never goes backwards across restarts.
    public func latestTimestamp() throws -> UInt64 {
        try database.pool.read { db in
            UInt64(bitPattern: try Int64.fetchOne(db, sql: "SELECT MAX(timestamp) FROM entry") ?? 0)
        }
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

/// The document writes of one transaction (`DocumentStore.transaction`), and the changes they made.
public struct DocumentTransaction {
    /// The open write transaction, for other tables that should commit with the documents.
    public let db: Database
    fileprivate(set) var changes: [DocumentStore.Change] = []

    fileprivate init(db: Database) {
        self.db = db
    }

    /// The stored entry of `libraryID` for `hash`, as this transaction sees it.
    public func entry(_ libraryID: UUID, hash: String) throws -> SyncEntry? {
        try Self.entry(db, libraryID, hash: hash)
    }

    fileprivate static func entry(_ db: Database, _ libraryID: UUID, hash: String) throws -> SyncEntry? {
        try Data.fetchOne(db.cachedStatement(sql: "SELECT encoded FROM entry WHERE library_id = ? AND hash = ?"),
                          arguments: [libraryID.uuidString.lowercased(), hash])
            .map { try SyncEntry(decoding: Array($0)) }
    }

    /// Stores `entry` in library `libraryID` unless the stored entry for its hash wins over it.
    /// `source` is the peer it came from, nil for this node's own entries.
    @discardableResult
    public mutating func apply(_ entry: SyncEntry, to libraryID: UUID, from source: PublicKey? = nil) throws -> DocumentStore.Outcome {
        let id = libraryID.uuidString.lowercased()
        let hash = entry.manifest.hashHex
        let stored = try Data.fetchOne(db.cachedStatement(sql: "SELECT encoded FROM entry WHERE library_id = ? AND hash = ?"),
                                       arguments: [id, hash])
        if let stored {
            let current = try SyncEntry(decoding: Array(stored))
            guard entry.wins(over: current) else { return .unchanged }
        }
        let local = try Self.isHeld(db, hash)
        try db.cachedStatement(sql: """
            INSERT INTO entry (library_id, hash, timestamp, author, deleted, size, digest, encoded, local)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(library_id, hash) DO UPDATE SET timestamp = excluded.timestamp, author = excluded.author,
                deleted = excluded.deleted, size = excluded.size, digest = excluded.digest, encoded = excluded.encoded
            """).execute(arguments: [id, hash, Int64(bitPattern: entry.timestamp), entry.author.hex, entry.manifest.deleted,
                                     Int64(entry.manifest.size), Data(entry.digest.bytes), Data(entry.encoded()), local])
        changes.append(DocumentStore.Change(libraryID: libraryID, entry: entry, source: source))
        return stored == nil ? .inserted : .replaced
    }

    /// Records whether this node's CAN Service holds the bytes of these hashes, for the entries
    /// that name them now and for those that come later.
    public func markLocal(_ hashes: some Collection<String>, _ local: Bool) throws {
        let entries = try db.cachedStatement(sql: "UPDATE entry SET local = ? WHERE hash = ? AND local != ?")
        let held = try db.cachedStatement(sql: local ? "INSERT OR IGNORE INTO held (hash) VALUES (?)" : "DELETE FROM held WHERE hash = ?")
        for hash in hashes {
            try entries.execute(arguments: [local, hash, local])
            try held.execute(arguments: [hash])
        }
    }

    fileprivate static func isHeld(_ db: Database, _ hash: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM held WHERE hash = ?)"), arguments: [hash]) ?? false
    }
}
