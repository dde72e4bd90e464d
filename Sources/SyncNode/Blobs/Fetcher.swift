import CANClient
import CANModel
import Foundation
import Logging
import NIOCore
import PluginHost
import ServiceLifecycle
import Synchronization
import SyncProtocol

/// Brings this node's CAN Service in line with its libraries' documents: downloads the bytes of
/// live entries it lacks from peers that hold the library, verifies their SHA-256 itself, and
/// ingests them with every field preserved; applies peers' metadata changes and deletions.
///
/// Only entries whose bytes the service lacks are fetched: the announcer records every asset the
/// service holds, so there is no request to the service first. (An asset ingested there in the
/// same instant may still be fetched; the service then answers its ingest as a duplicate.)
/// A download larger than `oneRequestLimit` goes into a partial upload in the CAN Service when it
/// offers them, else into a partial file under the data directory; either resumes from its length
/// after a restart or a failed peer. Bytes that fail verification are discarded and their peer is tried
/// later from then on (penalties fade, see `ProviderPenalties`); when bytes kept from an earlier try were
/// part of what failed, the asset is first downloaded whole again from the same peer. Several downloads
/// run at once, many small ones or a few large ones (see `DownloadSlots`). Removing a library stops its
/// downloads and removes what they kept (see `libraryRemoved(_:)`).
final class Fetcher: Service, Sendable {
    private let client: CANClient
    private let documents: DocumentStore
    private let partialUploads: PartialUploadLedger
    private let engine: SyncEngine
    private let connections: @Sendable (NodeID) -> PeerConnection?
    private let meter: TransferMeter
    private let partialDirectory: URL
    private let logger: Logger
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let offersPartialUploads = Mutex<Bool?>(nil)
    /// The downloads in flight (their memory, and each one's library and task), the retries waiting and the
    /// providers' penalties.
    private let state: Mutex<(inFlight: DownloadSlots, tasks: [String: (library: UUID, task: Task<Void, Never>)],
                              retries: [String: (attempts: Int, after: Date)], penalties: ProviderPenalties)>

    init(client: CANClient, documents: DocumentStore, partialUploads: PartialUploadLedger, engine: SyncEngine,
         connections: @escaping @Sendable (NodeID) -> PeerConnection?, meter: TransferMeter,
         dataDirectory: String, maxConcurrent: Int = 64, memoryBudget: UInt64 = 8 << 20, logger: Logger) throws {
        self.client = client
        self.documents = documents
        self.partialUploads = partialUploads
        self.engine = engine
        self.connections = connections
        self.meter = meter
        self.logger = logger
        state = Mutex((DownloadSlots(maxCount: maxConcurrent, memoryBudget: memoryBudget), [:], [:], ProviderPenalties()))
        partialDirectory = URL(fileURLWithPath: dataDirectory).appendingPathComponent("partial")
        try FileManager.default.createDirectory(at: partialDirectory, withIntermediateDirectories: true)
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        documents.observe { [weak self] changes in
            guard let self else { return }
            let remote = changes.filter { $0.source != nil }
            guard !remote.isEmpty else { return }
            self.wake.yield()
            Task { for change in remote { await self.applyRemoteChange(change) } }
        }
    }

    /// Asks for a pass soon (a peer connected, a session finished a round).
    func poke() {
        wake.yield()
    }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(2))
                    self.wake.yield()
                }
            }
            group.addTask {
                for await _ in self.wakes {
                    self.startDownloads()
                }
            }
            try? await gracefulShutdown()
            wake.finish()
            group.cancelAll()
        }
    }

    // MARK: Downloads

    private func startDownloads() {
        let now = Date()
        // The smallest missing blobs of libraries with a peer come first, those in flight or waiting
        // out a retry among them: reading exactly past those finds the next `free` to start without
        // reading a long list on every wake-up (one per finished download).
        let (free, skipped) = state.withLock { state in
            (state.inFlight.free, state.inFlight.count + state.retries.values.count { $0.after > now })
        }
        guard free > 0 else { return }
        let missing: [(libraryID: UUID, hash: String, size: UInt64)]
        do {
            missing = try documents.missingBlobs(limit: free + skipped, in: engine.librariesWithPeers())
        } catch {
            logger.warning("fetcher could not read the documents: \(error)")
            return
        }
        for (library, hash, size) in missing {
            // The task is listed under the lock its own ending takes: it cannot end before it is listed.
            state.withLock { state in
                guard (state.retries[hash]?.after ?? .distantPast) < now,
                      state.inFlight.start(hash, holding: Self.memoryCost(size)) else { return }
                state.tasks[hash] = (library, Task {
                    if let entry = try? self.documents.entry(library, hash: hash), !entry.manifest.deleted {
                        await self.fetch(entry, library: library)
                    }
                    self.state.withLock { state in
                        state.inFlight.finish(hash)
                        state.tasks[hash] = nil
                    }
                    self.wake.yield()
                })
            }
        }
    }

    private func fetch(_ entry: SyncEntry, library: UUID) async {
        let hash = entry.manifest.hashHex
        do {
            let partial = partialFile(hash)
            let peers = engine.peers(of: library)
            let providers = state.withLock { $0.penalties.ordered(peers) }
            var failures: [String] = []
            var attempts = providers[...]
            var downloadedWhole = false
            while let provider = attempts.popFirst() {
                guard let connection = connections(provider) else { continue }
                do {
                    try await downloadAndIngest(entry, library: library, from: connection, to: partial)
                    state.withLock { _ = $0.retries.removeValue(forKey: hash) }
                    return
                } catch let error as VerificationError where error.keptBytes > 0 && !downloadedWhole {
                    // Which part was bad is unknown, and nothing of it is kept now: this peer sends it whole next.
                    logger.warning("discarded bytes of \(hash): the \(error.keptBytes) bytes kept from an earlier download and those from node \(provider.short) together fail the check (\(error)); downloading it whole")
                    attempts.insert(provider, at: attempts.startIndex)
                    downloadedWhole = true
                } catch let error as VerificationError {
                    state.withLock { $0.penalties.add(ProviderPenalties.corruption, to: provider) }
                    failures.append("\(provider.short): \(error)")
                    logger.warning("discarded bytes of \(hash) from node \(provider.short): \(error)")
                } catch {
                    // A download stopped here (its library was removed) is not the peer's failure.
                    if Task.isCancelled { throw error }
                    state.withLock { $0.penalties.add(ProviderPenalties.failure, to: provider) }
                    failures.append("\(provider.short): \(error)")
                }
            }
            throw FetchError(message: failures.isEmpty ? "no connected peer holds library \(library)" : failures.joined(separator: "; "))
        } catch {
            // Cancelled: the library was removed, and `libraryRemoved` cleans up.
            guard !Task.isCancelled else {
                meter.end(hash)
                return
            }
            // A peer that lacks the bytes now may have them soon (it is fetching them itself),
            // so retries start fast and back off.
            let attempts = state.withLock { state -> Int in
                let attempts = (state.retries[hash]?.attempts ?? 0) + 1
                state.retries[hash] = (attempts, Date().addingTimeInterval(min(0.25 * pow(2, Double(attempts - 1)), 30)))
                return attempts
            }
            if attempts == 1 || attempts % 8 == 0 { logger.info("could not fetch \(hash) yet (attempt \(attempts)): \(error)") }
        }
        meter.end(hash)
    }

    private func partialFile(_ hash: String) -> URL {
        partialDirectory.appendingPathComponent("\(hash).part")
    }

    // MARK: Removed libraries

    /// A library was removed: its downloads in flight stop, and the bytes kept for assets no remaining
    /// library lists (partial files, and the partial uploads in the CAN Service that this node started,
    /// recorded in `PartialUploadLedger` across restarts) are removed. Its entries are already gone with
    /// the library.
    func libraryRemoved(_ id: UUID) {
        let stopped = state.withLock { state in state.tasks.filter { $0.value.library == id } }
        for download in stopped.values { download.task.cancel() }
        Task {
            for download in stopped.values { await download.task.value }
            let tried = state.withLock { Set($0.retries.keys) }
            await removeUnlistedPartials(of: tried.union(stopped.keys))
        }
    }

    /// Forgets the retries of `hashes` that no library lists any more, and removes what is kept of any
    /// asset no library lists: its partial file, or its partial upload in the CAN Service.
    private func removeUnlistedPartials(of hashes: Set<String>) async {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: partialDirectory.path)) ?? []
        let filed = files.filter { $0.hasSuffix(".part") }.map { String($0.dropLast(".part".count)) }
        let uploads = (try? partialUploads.all()) ?? []
        for hash in hashes.union(filed).union(uploads) {
            guard let listed = try? documents.isLive(hash: hash), !listed else { continue }
            state.withLock { _ = $0.retries.removeValue(forKey: hash) }
            try? FileManager.default.removeItem(at: partialFile(hash))
            if uploads.contains(hash) { await removePartialUpload(hash) }
        }
    }

    /// Removes the CAN Service's partial upload of `hash`, waiting out (a few seconds at most) the end of
    /// the cancelled request still appending to it.
    private func removePartialUpload(_ hash: String) async {
        for _ in 0..<50 {
            do {
                try await client.removePartialUpload(hash)
                try? partialUploads.forget(hash)
                return
            } catch let error as CANClientError where error.status == 409 {
                try? await Task.sleep(for: .milliseconds(100))
            } catch let error as CANClientError where error.status == 404 || error.status == 405 {
                // The service no longer offers partial uploads: there is nothing left to remove.
                try? partialUploads.forget(hash)
                return
            } catch {
                logger.warning("could not remove the partial upload of \(hash) from the CAN Service: \(error)")
                return
            }
        }
        logger.warning("could not remove the partial upload of \(hash): the CAN Service kept it busy")
    }

    /// Appends the missing tail of the asset to `partial`, hashing as it writes (a resumed file's
    /// existing bytes are hashed first), then checks the whole file's SHA-256.
    private func download(_ entry: SyncEntry, library: UUID, from connection: PeerConnection, to partial: URL,
                          growth: FileGrowth) async throws {
        let hash = entry.manifest.hashHex
        let size = entry.manifest.size
        // The caller has created the file and emptied one longer than the asset.
        let file = try FileHandle(forUpdating: partial)
        defer { try? file.close() }
        let resumedAt = try file.seekToEnd()
        var offset = resumedAt
        // A resumed file's bytes so far are hashed first.
        let hasher = SHA256Hasher()
        try hasher.update(fileAt: partial.path, upTo: offset)
        meter.begin(hash: hash, library: library, totalBytes: size, resumedAt: offset)
        meter.source(hash, peer: connection.peer)
        do {
            try await receive(entry, library: library, from: connection, offset: offset) { bytes in
                hasher.update(bytes)
                try file.write(contentsOf: bytes)
                offset += UInt64(bytes.count)
                growth.grew(to: Int64(offset))
            }
        } catch let error as VerificationError {
            try file.truncate(atOffset: 0)
            throw error
        }
        let actual = hasher.finalizeHex()
        guard actual == hash else {
            try? FileManager.default.removeItem(at: partial)
            throw VerificationError(message: "content hashes to \(actual), not \(hash)", keptBytes: resumedAt)
        }
    }

    /// Asks `connection` for the asset's bytes from `offset` on and hands each chunk to `consume`,
    /// until exactly the entry's size has arrived.
    private func receive(_ entry: SyncEntry, library: UUID, from connection: PeerConnection, offset start: UInt64,
                         consume: (UnsafeRawBufferPointer) throws -> Void) async throws {
        guard start < entry.manifest.size else { return }
        let reader = try await BlobResponseReader.open(entry, library: library, from: connection, offset: start, meter: meter)
        while let chunk = try await reader.next() {
            try chunk.withUnsafeBytes(consume)
        }
    }

    /// Assets up to this size stream from the peer straight into one ingest request: a partial upload
    /// or file that outlives a failure (two requests, or one more copy of every byte through the page
    /// cache) would cost more than downloading them again after a restart.
    static let oneRequestLimit: UInt64 = 1 << 20

    /// What a download of `size` bytes holds in memory at most: the bytes in flight between the peer and
    /// the store, bounded by the transport's stream window (1 MiB by default) and by the asset's size.
    static func memoryCost(_ size: UInt64) -> UInt64 {
        min(size, oneRequestLimit)
    }

    /// Assets up to this size are downloaded whole into memory, checked, and ingested with one write:
    /// for them, streaming the request body costs more time than the bytes themselves.
    static let inMemoryLimit: UInt64 = 64 << 10

    /// Streams an asset of up to `oneRequestLimit` bytes from the peer into one ingest request, checking
    /// its SHA-256 before the request's form is complete (or, up to `inMemoryLimit`, before the request
    /// starts): content that fails the check is never ingested.
    private func downloadAndIngestInOneRequest(_ entry: SyncEntry, library: UUID, from connection: PeerConnection) async throws {
        let manifest = entry.manifest
        meter.begin(hash: manifest.hashHex, library: library, totalBytes: manifest.size, resumedAt: 0)
        meter.source(manifest.hashHex, peer: connection.peer)
        let reader = try await BlobResponseReader.open(entry, library: library, from: connection, offset: 0, meter: meter)
        if manifest.size <= Self.inMemoryLimit {
            var content = ByteBuffer()
            content.reserveCapacity(Int(manifest.size))
            let hasher = SHA256Hasher()
            while let chunk = try await reader.next() {
                hasher.update(chunk)
                content.writeBytes(chunk)
            }
            let actual = hasher.finalizeHex()
            guard actual == manifest.hashHex else {
                throw VerificationError(message: "content hashes to \(actual), not \(manifest.hashHex)")
            }
            _ = try await client.ingest(bytes: content, filename: manifest.hashHex, options: Self.ingestOptions(manifest))
            return
        }
        let feed = BlobUploadFeed(reader: reader, hasher: SHA256Hasher(), verifying: manifest.hashHex)
        do {
            _ = try await client.ingest(streaming: feed, size: Int64(manifest.size), filename: manifest.hashHex,
                                        options: Self.ingestOptions(manifest))
        } catch {
            // The request failed because the download did: that is the error to report (and to penalise).
            throw feed.failure ?? error
        }
    }

    /// Downloads the asset and ingests it into the local CAN Service: a small one streamed into one
    /// ingest request; a larger one into a partial upload in the service when it offers them, else (or when a partial file from an
    /// earlier try exists) through a partial file.
    private func downloadAndIngest(_ entry: SyncEntry, library: UUID, from connection: PeerConnection,
                                   to partial: URL) async throws {
        let manifest = entry.manifest
        let partialFileExists = FileManager.default.fileExists(atPath: partial.path)
        if manifest.size <= Self.oneRequestLimit, !partialFileExists {
            try await downloadAndIngestInOneRequest(entry, library: library, from: connection)
        } else if !partialFileExists, try await serviceOffersPartialUploads() {
            do {
                try await downloadAndIngestThroughService(entry, library: library, from: connection)
            } catch let error as CANClientError where error.status == 404 || error.status == 405 {
                // The service no longer knows the extension (it was replaced while this node ran):
                // ask again before the next try, which then takes the partial file.
                offersPartialUploads.withLock { $0 = nil }
                throw error
            }
        } else {
            try await downloadAndIngestThroughFile(entry, library: library, from: connection, to: partial)
        }
        try documents.markLocal([manifest.hashHex], true)
        try? FileManager.default.removeItem(at: partial)
        meter.end(manifest.hashHex)
        logger.debug("fetched and ingested \(manifest.hashHex) (\(manifest.size) bytes)")
    }

    /// Downloads into the partial file while uploading it into the local CAN Service as it grows, so
    /// the ingest overlaps the transfer. The upload carries `expected_hash`, and it is abandoned (the
    /// service stores nothing) unless this node's own check of the whole file passes.
    private func downloadAndIngestThroughFile(_ entry: SyncEntry, library: UUID, from connection: PeerConnection,
                                              to partial: URL) async throws {
        let manifest = entry.manifest
        if !FileManager.default.fileExists(atPath: partial.path) {
            FileManager.default.createFile(atPath: partial.path, contents: nil)
        }
        var existing = Int64((try? FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int) ?? 0)
        if existing > Int64(manifest.size) {
            try FileHandle(forWritingTo: partial).truncate(atOffset: 0)
            existing = 0
        }
        let growth = FileGrowth(length: existing)
        let options = Self.ingestOptions(manifest)
        let client = client
        let upload = Task {
            try await client.ingest(growingFileAt: partial.path, size: Int64(manifest.size),
                                    available: { try await growth.wait(for: $0) }, options: options)
        }
        do {
            try await download(entry, library: library, from: connection, to: partial, growth: growth)
        } catch {
            growth.fail(error)
            upload.cancel()
            _ = try? await upload.value
            throw error
        }
        _ = try await upload.value
    }

    /// Whether the local CAN Service offers partial uploads; asked once, and again after a partial-upload
    /// request it does not know.
    private func serviceOffersPartialUploads() async throws -> Bool {
        if let known = offersPartialUploads.withLock({ $0 }) { return known }
        let offers = try await client.offersPartialUploads()
        offersPartialUploads.withLock { $0 = offers }
        return offers
    }

    /// Streams the download into a partial upload in the local CAN Service, which keeps the bytes across
    /// failed peers and restarts and ingests them by renaming its file: the bytes reach the disk once.
    /// The bytes the service already holds are hashed first; this node's own check of the whole content
    /// must pass before it asks for the ingest, and the service checks the hash again.
    private func downloadAndIngestThroughService(_ entry: SyncEntry, library: UUID, from connection: PeerConnection) async throws {
        let manifest = entry.manifest
        let (hash, size) = (manifest.hashHex, manifest.size)
        let hasher = SHA256Hasher()
        let held = try await hashHeldBytes(of: hash, size: size, into: hasher)
        meter.begin(hash: hash, library: library, totalBytes: size, resumedAt: held)
        meter.source(hash, peer: connection.peer)
        if held < size {
            let reader = try await BlobResponseReader.open(entry, library: library, from: connection, offset: held, meter: meter)
            let feed = BlobUploadFeed(reader: reader, hasher: hasher)
            try partialUploads.record(hash)
            let stored = try await client.appendPartialUpload(hash, at: Int64(held), body: feed)
            if let failure = feed.failure {
                if failure is VerificationError { await dropPartialUpload(hash) }
                throw failure
            }
            guard stored == Int64(size) else {
                throw FetchError(message: "the local CAN Service holds \(stored) of the \(size) bytes sent to it")
            }
        }
        let actual = hasher.finalizeHex()
        guard actual == hash else {
            await dropPartialUpload(hash)
            throw VerificationError(message: "content hashes to \(actual), not \(hash)", keptBytes: held)
        }
        _ = try await client.ingestPartialUpload(hash, options: Self.ingestOptions(manifest))
        try? partialUploads.forget(hash)
    }

    /// Drops the partial upload of `hash` whose bytes failed. Tried once: if the service keeps it, the
    /// next download's hash check or the library's removal drops it later.
    private func dropPartialUpload(_ hash: String) async {
        guard (try? await client.removePartialUpload(hash)) != nil else { return }
        try? partialUploads.forget(hash)
    }

    /// Feeds the bytes the local CAN Service holds of `hash` from an earlier try into `hasher` and returns
    /// their count. More bytes than the asset has cannot be a prefix of it: they are dropped.
    private func hashHeldBytes(of hash: String, size: UInt64, into hasher: SHA256Hasher) async throws -> UInt64 {
        guard let held = try await client.partialUpload(hash) else { return 0 }
        guard let length = held.contentLength, length <= Int64(size) else {
            for try await _ in held.body {}
            try await client.removePartialUpload(hash)
            try? partialUploads.forget(hash)
            return 0
        }
        var count: Int64 = 0
        for try await chunk in held.body {
            chunk.withUnsafeReadableBytes { hasher.update($0) }
            count += Int64(chunk.readableBytes)
        }
        guard count == length else {
            throw FetchError(message: "the local CAN Service sent \(count) of the \(length) bytes it holds of \(hash)")
        }
        return UInt64(count)
    }

    /// Every field of the manifest, and `expected_hash`, for the local CAN Service's ingest.
    static func ingestOptions(_ manifest: AssetManifest) -> IngestOptions {
        let metadata = (try? JSONValue.parseObject(manifest.metadata)) ?? [:]
        return IngestOptions(mimeType: manifest.mimeType, application: manifest.application, tags: manifest.tags,
                             user: manifest.user, filename: manifest.filename,
                             metadata: metadata.isEmpty ? nil : metadata, createdAt: manifest.createdAt,
                             expectedHash: manifest.hashHex)
    }

    // MARK: Metadata and deletions

    /// A peer's entry changed a document: bring the local asset's metadata along, or delete it
    /// when the peer deleted it and no library lists it any more.
    private func applyRemoteChange(_ change: DocumentStore.Change) async {
        let manifest = change.entry.manifest
        let hash = manifest.hashHex
        do {
            guard try documents.isLocal(hash) else { return }
            // A tombstone whose manifest no longer matches the library's filter marks a metadata change
            // on its author's node that took the asset out of the library, not a deletion: the asset
            // stays here and takes the new metadata (so it leaves the library here too).
            let leftFilter = engine.libraries.active(change.libraryID).map { !$0.filter.matches(manifest.filterView) } ?? false
            if manifest.deleted && !leftFilter {
                guard try !documents.isLive(hash: hash) else { return }
                _ = try await client.delete(hash)
                try documents.markLocal([hash], false)
                logger.info("deleted \(hash): a peer deleted it and no library lists it")
                return
            }
            let local = try await client.meta(hash)
            let metadata = (try? JSONValue.parseObject(manifest.metadata)) ?? [:]
            if local.tags.sorted() == manifest.tags, local.application == manifest.application, local.user == manifest.user,
               local.filename == manifest.filename, local.metadata == metadata { return }
            _ = try await client.updateMeta(hash, AssetMetadataPatch(
                tags: manifest.tags, application: .some(manifest.application), user: .some(manifest.user),
                filename: .some(manifest.filename), metadata: metadata))
        } catch {
            logger.warning("could not apply a peer's change to \(hash): \(error)")
        }
    }
}

/// A download failed; another peer, or a later try, may succeed.
struct FetchError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Downloaded bytes did not match the entry: they are discarded and the peer is penalised, unless
/// bytes kept from an earlier download were part of what failed (`keptBytes` > 0): those may be the
/// bad ones, so the asset is downloaded whole again before anyone is blamed.
struct VerificationError: Error, CustomStringConvertible {
    let message: String
    var keptBytes: UInt64 = 0
    var description: String { message }
}
