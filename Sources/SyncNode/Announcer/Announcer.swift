import CANClient
import CANModel
import Foundation
import Logging
import ServiceLifecycle
import SyncProtocol

/// Watches the CAN Service and turns the assets each library's filter matches into entries of
/// that library's document.
///
/// Two loops: a fast poll on the `since_seq` change feed (a long poll where the service supports
/// `wait_ms`, so one cheap request when nothing changed), and a full scan every
/// `full_scan_interval_secs` that catches anything the feed missed and works against a service
/// without `seq`. A new library gets a full scan of its own at once.
public final class Announcer: Service, Sendable {
    private let client: CANClient
    private let libraries: LibraryRegistry
    private let documents: DocumentStore
    private let cursors: CursorStore
    private let author: SigningKey
    private let clock: EntryClock
    private let pollInterval: Duration
    private let fullScanInterval: Duration
    private let logger: Logger
    private let newLibraries: AsyncStream<UUID>
    private let newLibrariesContinuation: AsyncStream<UUID>.Continuation

    static let pageSize = 1000
    /// How long the fast poll waits after a page with changes before asking for the next one.
    static let burstPause: Duration = .milliseconds(10)

    public init(client: CANClient, libraries: LibraryRegistry, documents: DocumentStore, cursors: CursorStore,
                author: SigningKey, clock: EntryClock, pollIntervalSeconds: Int, fullScanIntervalSeconds: Int,
                logger: Logger) {
        self.client = client
        self.libraries = libraries
        self.documents = documents
        self.cursors = cursors
        self.author = author
        self.clock = clock
        self.pollInterval = .seconds(pollIntervalSeconds)
        self.fullScanInterval = .seconds(fullScanIntervalSeconds)
        self.logger = logger
        (newLibraries, newLibrariesContinuation) = AsyncStream.makeStream(of: UUID.self)
        libraries.observe { [newLibrariesContinuation] change in
            if case .added(let library) = change { newLibrariesContinuation.yield(library.id) }
        }
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.pollLoop() }
            group.addTask { await self.fullScanLoop() }
            group.addTask {
                for await id in self.newLibraries {
                    await self.retrying("full scan of new library \(id)") { try await self.fullScan(only: id) }
                }
            }
            try? await gracefulShutdown()
            newLibrariesContinuation.finish()
            group.cancelAll()
        }
    }

    // MARK: Loops

    private func pollLoop() async {
        let cursorName = "announcer.seq \(client.baseURL)"
        // Against a service without `seq` the poll reads the newest page again each time; these are
        // the assets (hash, updated_at, deleted) it saw last, so only what changed is announced.
        var lastSeqlessPage: Set<AssetVersion> = []
        var warnedSeqless = false
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let advanced = await retrying("poll") { () -> Bool in
                let since = try cursors.value(cursorName) ?? 0
                let page = try await client.list(ListQuery(
                    limit: Self.pageSize, sinceSeq: since, includeDeleted: true,
                    waitMilliseconds: Int(min(pollInterval, .seconds(30)).components.seconds * 1000)))
                if !page.assets.isEmpty, page.assets.allSatisfy({ $0.seq == nil }) {
                    // No change feed: `since_seq` was ignored and this is the newest page. The
                    // full scan (paging by offset) covers the rest.
                    if !warnedSeqless {
                        logger.info("CAN Service \(client.baseURL) reports no seq: polling its newest \(Self.pageSize) assets every \(pollInterval), the full scan covers the rest")
                        warnedSeqless = true
                    }
                    let versions = Set(page.assets.map(AssetVersion.init))
                    try announce(page.assets.filter { !lastSeqlessPage.contains(AssetVersion($0)) })
                    lastSeqlessPage = versions
                    return false
                }
                let newest = page.assets.compactMap(\.seq).max() ?? page.lastSeq ?? since
                try announce(page.assets, cursor: newest > since ? (cursorName, newest) : nil)
                return newest > since
            } ?? false
            // Poll again soon only when the cursor moved: the next request continues after it (or is
            // held as a long poll). The short pause lets a burst of ingests come back as one page,
            // announced in one transaction, instead of one request and one commit per asset. Anything
            // else waits out the interval, so a service that answers at once, ignores `since_seq` or
            // has no `seq` is polled once per interval.
            if advanced {
                try? await Task.sleep(for: Self.burstPause)
                continue
            }
            let remaining = pollInterval - (ContinuousClock.now - started)
            if remaining > .zero { try? await Task.sleep(for: remaining) }
        }
    }

    private func fullScanLoop() async {
        while !Task.isCancelled {
            await retrying("full scan") { try await self.fullScan(only: nil) }
            try? await Task.sleep(for: fullScanInterval)
        }
    }

    /// Runs `body`, logging a failure and backing off, so that a service that is down for a while
    /// delays announcing but loses nothing: the cursor only moves after assets are announced.
    @discardableResult
    private func retrying<Result: Sendable>(_ what: String, _ body: () async throws -> Result) async -> Result? {
        var delay = Duration.milliseconds(250)
        while !Task.isCancelled {
            do {
                return try await body()
            } catch is CancellationError {
                return nil
            } catch {
                logger.warning("announcer \(what) failed, retrying in \(delay): \(error)")
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(30))
            }
        }
        return nil
    }

    // MARK: Announcing

    /// Reads every asset (deleted ones too) and announces it to all libraries, or to one.
    func fullScan(only libraryID: UUID?) async throws {
        let started = Int64(Date().timeIntervalSince1970 * 1000)
        var offset = 0
        var sinceSeq: Int64? = 0
        while !Task.isCancelled {
            let page = try await client.list(ListQuery(limit: Self.pageSize, offset: sinceSeq == nil ? offset : nil,
                                                       sinceSeq: sinceSeq, includeDeleted: true))
            try announce(page.assets, only: libraryID)
            if page.assets.count < Self.pageSize { break }
            if let last = sinceSeq, let newest = page.assets.compactMap(\.seq).max(), newest > last {
                sinceSeq = newest
            } else {
                // A service without seq (or one ignoring since_seq): it answered newest first, so
                // this page was offset 0 and the scan goes on by offset.
                sinceSeq = nil
                offset += page.assets.count
            }
        }
        let targets = libraryID.map { [$0] } ?? libraries.all.map(\.library.id)
        for id in targets { try libraries.markAnnounced(id, at: started) }
    }

    /// Updates every library's document for these assets, in one transaction that also records
    /// which assets the service holds (in any library or none, so peers' entries for them are not
    /// downloaded) and, with `cursor`, how far the change feed has been read.
    func announce(_ assets: [Asset], only libraryID: UUID? = nil, cursor: (name: String, value: Int64)? = nil) throws {
        let targets = libraries.all.filter { libraryID == nil || $0.library.id == libraryID }
        guard !assets.isEmpty || cursor != nil else { return }
        try documents.transaction { transaction in
            for asset in assets {
                for target in targets {
                    try announce(asset, to: target, in: &transaction)
                }
            }
            try transaction.markLocal(assets.filter { !$0.isDeleted }.map { $0.hash.lowercased() }, true)
            try transaction.markLocal(assets.filter(\.isDeleted).map { $0.hash.lowercased() }, false)
            if let cursor { try CursorStore.set(cursor.name, cursor.value, in: transaction.db) }
        }
    }

    private func announce(_ asset: Asset, to target: LibraryRegistry.Active, in transaction: inout DocumentTransaction) throws {
        let existing = try transaction.entry(target.library.id, hash: asset.hash.lowercased())
        let manifest: AssetManifest
        if asset.isDeleted || !target.filter.matches(asset.filterView) {
            // A deletion, or a metadata change that takes the asset out of the filter, tombstones
            // an entry the library has; it never creates one. Coming back into the filter later
            // makes the entry live again (below).
            guard let existing, !existing.manifest.deleted else { return }
            manifest = try AssetManifest(asset: asset, deleted: true)
        } else {
            manifest = try AssetManifest(asset: asset, deleted: false)
            if let existing, existing.manifest.hasSameContent(as: manifest) { return }
        }
        let entry = SyncEntry(manifest: manifest, timestamp: clock.next(), library: target.keys, author: author)
        if try transaction.apply(entry, to: target.library.id) != .unchanged {
            logger.debug("announced \(asset.hash) to library \(target.library.name)\(manifest.deleted ? " (tombstone)" : "")")
        }
    }
}

/// What makes one read of an asset differ from another: a metadata change or a deletion.
private struct AssetVersion: Hashable {
    let hash: String
    let updatedAt: Int64
    let deleted: Bool

    init(_ asset: Asset) {
        hash = asset.hash.lowercased()
        updatedAt = asset.updatedAt
        deleted = asset.isDeleted
    }
}
