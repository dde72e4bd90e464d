import CANModel
import Foundation
import GRDB
import Logging

/// One index of the store: asset rows in SQLite (WAL mode) and content files in a `BlobDirectory`.
///
/// Every change bumps the single `seq` counter inside the transaction that makes it, then wakes long polls.
final class AssetStore: Sendable {
    let blobs: BlobDirectory
    let partials: PartialUploads
    private let database: DatabasePool
    private let changes: ChangeSignal

    /// Opens (creating if needed) the index in `directory`, migrates its schema and removes uploads a
    /// previous process abandoned.
    init(directory: URL, logger: Logger) throws {
        blobs = try BlobDirectory(root: directory)
        partials = try PartialUploads(root: directory, logger: logger)
        let removed = blobs.removeAbandonedUploads()
        if removed > 0 {
            logger.info("removed \(removed) unfinished upload(s) left in \(blobs.temporaryURL.path)")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let path = directory.appendingPathComponent("can.sqlite").path
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            try StoreSchema.migrator.migrate(database)
            changes = ChangeSignal(latest: try database.read(AssetRow.currentSeq))
        } catch {
            throw CANStoreError.fault("could not open store database \(path): \(error)")
        }
    }

    /// Reads on the calling thread: a read is short (no I/O beyond the page cache), and the hop to
    /// GRDB's queue that the async `read` makes cost more than the query itself.
    private func readNow<T>(_ block: (Database) throws -> T) throws -> T {
        try database.read(block)
    }

    /// Writes on the calling thread, for the same reason: a write transaction is a few rows and one
    /// WAL commit, and waiting out another writer costs less than two thread hand-offs per request.
    private func writeNow<T>(_ updates: (Database) throws -> T) throws -> T {
        try database.write(updates)
    }

    private static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: Reading

    func count() async throws -> Int64 {
        try readNow { db in
            try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM assets WHERE deleted = 0") ?? 0
        }
    }

    func asset(_ hash: String) async throws -> Asset? {
        try readNow { db in try AssetRow.fetch(db, hash: hash) }
    }

    /// One page of `query`; with `since_seq` and `wait_ms`, holds until something newer lands or time runs out.
    func page(_ query: AssetQuery) async throws -> AssetPage {
        let deadline = ContinuousClock.now + .milliseconds(query.waitMilliseconds)
        while true {
            let (page, counter) = try pageNow(query)
            guard page.assets.isEmpty, query.sinceSeq != nil, ContinuousClock.now < deadline, !Task.isCancelled
            else { return page }
            await changes.wait(after: counter, timeout: deadline - ContinuousClock.now)
        }
    }

    private func pageNow(_ query: AssetQuery) throws -> (AssetPage, Int64) {
        try readNow { db in
            let (filter, arguments) = query.filter
            let total = try Int64.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM assets \(filter)"), arguments: arguments) ?? 0
            var pageArguments = arguments
            pageArguments += [query.limit, query.offset]
            let assets = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(AssetRow.columns) FROM assets \(filter) \(query.order) LIMIT ? OFFSET ?"),
                arguments: pageArguments
            ).map(AssetRow.asset(from:))
            let counter = try AssetRow.currentSeq(db)
            // A change feed cut short by `limit` continues from its last asset; otherwise the caller is
            // up to date with the whole counter.
            let truncated = Int64(query.offset + assets.count) < total
            let lastSeq = query.sinceSeq != nil && truncated ? (assets.last?.seq ?? counter) : counter
            return (AssetPage(assets: assets, total: total, lastSeq: lastSeq), counter)
        }
    }

    // MARK: Changing

    /// Stores an uploaded, hashed file with its metadata; content already present yields the existing
    /// asset with the new tags merged and `duplicate: true`.
    ///
    /// The upload is renamed into place inside the write transaction, and deletes unlink inside theirs, so
    /// an ingest and a delete of the same content can never leave a row without its bytes.
    func ingest(_ form: IngestForm) async throws -> Asset {
        if let expected = form.expectedHash, expected != form.hash {
            await form.upload.discard()
            throw CANStoreError.conflict(
                "content hash \(form.hash) does not match expected_hash \(expected); nothing was stored")
        }
        let hash = form.hash
        let now = Self.now()
        let template = Asset(
            hash: hash, size: form.upload.size, mimeType: form.mimeType, application: form.application,
            tags: form.tags, user: form.user, filename: form.filename, metadata: form.metadata,
            createdAt: form.createdAt ?? now, updatedAt: now, deleted: false)
        let (tags, uploadPath, blobs) = (form.tags, form.upload.path, self.blobs)
        let asset: Asset
        do {
            asset = try writeNow { db -> Asset in
                if let existing = try AssetRow.fetch(db, hash: hash), !existing.isDeleted {
                    return try Self.merge(db, existing, tags: tags)
                }
                try blobs.install(upload: uploadPath, as: hash)
                var asset = template
                asset.seq = try AssetRow.nextSeq(db)
                try AssetRow.save(db, asset)
                asset.duplicate = false
                return asset
            }
        } catch {
            await form.upload.discard()
            if let error = error as? CANStoreError { throw error }
            throw CANStoreError.fault("could not record asset \(hash): \(error)")
        }
        if asset.duplicate == true { await form.upload.discard() }
        changes.publish(asset.seq ?? 0)
        return asset
    }

    /// Adds `tags` the asset lacks; only an actual change bumps `seq` and `updated_at`.
    private static func merge(_ db: Database, _ existing: Asset, tags: [String]) throws -> Asset {
        var asset = existing
        let added = tags.filter { !existing.tags.contains($0) }
        if !added.isEmpty {
            asset.tags += added
            asset.seq = try AssetRow.nextSeq(db)
            asset.updatedAt = now()
            try AssetRow.save(db, asset)
        }
        asset.duplicate = true
        return asset
    }

    /// Replaces the fields present in `patch`; always bumps `seq` and `updated_at`.
    func update(_ hash: String, with patch: AssetPatch) async throws -> Asset {
        let asset = try writeNow { db -> Asset in
            guard var asset = try AssetRow.fetch(db, hash: hash), !asset.isDeleted else {
                throw CANStoreError.notFound("no asset \(hash) in this store")
            }
            patch.apply(to: &asset)
            asset.seq = try AssetRow.nextSeq(db)
            asset.updatedAt = Self.now()
            try AssetRow.save(db, asset)
            return asset
        }
        changes.publish(asset.seq ?? 0)
        return asset
    }

    /// Marks the asset deleted (bumping `seq`) and reclaims its bytes; deleting again changes nothing.
    func delete(_ hash: String) async throws -> Asset {
        let blobs = self.blobs
        let asset = try writeNow { db -> Asset in
            guard var asset = try AssetRow.fetch(db, hash: hash) else {
                throw CANStoreError.notFound("no asset \(hash) in this store")
            }
            if asset.isDeleted { return asset }
            asset.deleted = true
            asset.seq = try AssetRow.nextSeq(db)
            asset.updatedAt = Self.now()
            try AssetRow.save(db, asset)
            blobs.remove(hash)
            return asset
        }
        changes.publish(asset.seq ?? 0)
        return asset
    }
}
