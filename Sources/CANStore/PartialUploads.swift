import CANModel
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Uploads kept between requests, each named by the hash its content must have (`partial/<hash>`):
/// a client appends to one over as many requests as it needs, a dropped request keeps the bytes that
/// arrived, and the finished upload is ingested by renaming its file into the blob directory, not by
/// sending the bytes again. The directory survives restarts; uploads untouched for a week are removed
/// at start-up and, while the store runs, by `removeStale()` (see `CANStoreServer.staleSweepInterval`).
///
/// One request at a time works on a hash. While the bytes of an upload arrive in order within this
/// process their running digest is kept, so finishing does not read the file again.
final class PartialUploads: Sendable {
    static let staleAfter: TimeInterval = 7 * 24 * 3600

    let directoryURL: URL
    private let prefix: String
    private let logger: Logger
    private let state = Mutex<(busy: Set<String>, digests: [String: RunningDigest])>(([], [:]))

    /// The digest of a partial upload's first `length` bytes. Only the request holding the upload's
    /// claim touches it, one at a time.
    private final class RunningDigest: @unchecked Sendable {
        let hasher: SHA256Hasher
        let length: Int64
        init(hasher: SHA256Hasher, length: Int64) {
            self.hasher = hasher
            self.length = length
        }
    }

    init(root: URL, logger: Logger) throws {
        directoryURL = root.appendingPathComponent("partial", isDirectory: true)
        prefix = directoryURL.path + "/"
        self.logger = logger
        try FileManager.default.createDirectory(at: directoryURL, withIntermediateDirectories: true)
        removeStale()
    }

    func path(_ hash: String) -> String { prefix + hash }

    /// Bytes held for `hash`, or nil when there is no partial upload of it.
    func size(_ hash: String) -> Int64? {
        var info = stat()
        guard stat(path(hash), &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// Whether a request is working on `hash` right now.
    func isBusy(_ hash: String) -> Bool {
        state.withLock { $0.busy.contains(hash) }
    }

    /// Runs `body` as the only request working on `hash`; 409 while another one is.
    func exclusively<T>(_ hash: String, _ body: () async throws -> T) async throws -> T {
        let claimed = state.withLock { $0.busy.insert(hash).inserted }
        guard claimed else {
            throw CANStoreError.conflict("another request is working on the partial upload of \(hash); try again when it ends")
        }
        defer { _ = state.withLock { $0.busy.remove(hash) } }
        return try await body()
    }

    /// Writes `body` at `offset` (at most the bytes held; anything after it is dropped) and returns the
    /// bytes held afterwards. Bytes that arrived stay when the body fails part way. Call inside `exclusively`.
    func append<Body: AsyncSequence>(_ hash: String, at offset: Int64, body: Body, limit: Int64) async throws -> Int64
    where Body.Element == ByteBuffer {
        let held = size(hash) ?? 0
        guard offset <= held else {
            throw CANStoreError.conflict("the partial upload of \(hash) holds \(held) bytes; append at offset \(held) or less, not \(offset)")
        }
        let running = state.withLock { $0.digests.removeValue(forKey: hash) }
        // The digest carries on when the bytes before `offset` are exactly what it has seen.
        let carriedOver = offset > 0 && running?.length == offset ? running?.hasher : nil
        let continues = offset == 0 || carriedOver != nil
        let hasher = carriedOver ?? SHA256Hasher()
        let file = try UploadFile(appendingTo: path(hash), at: offset, hasher: hasher)
        var failure: (any Error)?
        do {
            for try await chunk in body {
                guard file.size + Int64(chunk.readableBytes) <= limit else {
                    throw CANStoreError.tooLarge("partial upload of \(hash) would exceed this store's limit of \(limit) bytes")
                }
                file.append(chunk)
                try await file.throttle()
            }
        } catch {
            failure = error
        }
        try await file.close()
        if continues {
            state.withLock { $0.digests[hash] = RunningDigest(hasher: hasher, length: file.size) }
        }
        if let failure { throw failure }
        return file.size
    }

    /// The whole partial upload of `hash` and the SHA-256 of its bytes, ready to ingest (404 when there
    /// is none). Call inside `exclusively`.
    func finished(_ hash: String) async throws -> (content: PartialContent, digest: String) {
        guard let size = size(hash) else { throw CANStoreError.notFound("no partial upload of \(hash) in this store") }
        let content = PartialContent(path: path(hash), size: size, uploads: self, hash: hash)
        if let running = state.withLock({ $0.digests.removeValue(forKey: hash) }), running.length == size {
            return (content, running.hasher.finalizeHex())
        }
        let path = content.path
        let digest = try await NIOThreadPool.singleton.runIfActive {
            let hasher = SHA256Hasher()
            do {
                try hasher.update(fileAt: path)
            } catch {
                throw CANStoreError.fault("could not read partial upload \(path): \(error)")
            }
            return hasher.finalizeHex()
        }
        return (content, digest)
    }

    /// Drops the partial upload of `hash`, if there is one.
    func remove(_ hash: String) {
        state.withLock { _ = $0.digests.removeValue(forKey: hash) }
        unlink(path(hash))
    }

    /// Removes the uploads untouched for `staleAfter` that no request is working on, with their running
    /// digests; logs and returns how many.
    @discardableResult
    func removeStale() -> Int {
        let cutoff = Date().addingTimeInterval(-Self.staleAfter)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directoryURL.path)) ?? []
        var removed = 0
        for name in names {
            let file = prefix + name
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date,
                  modified < cutoff else { continue }
            let unlinked = state.withLock { state -> Bool in
                guard !state.busy.contains(name) else { return false }
                state.digests.removeValue(forKey: name)
                return unlink(file) == 0
            }
            if unlinked { removed += 1 }
        }
        if removed > 0 { logger.info("removed \(removed) partial upload(s) untouched for a week in \(directoryURL.path)") }
        return removed
    }
}

/// A finished partial upload handed to `AssetStore.ingest`; discarding it removes the partial upload.
final class PartialContent: StagedContent, Sendable {
    let path: String
    let size: Int64
    private let uploads: PartialUploads
    private let hash: String

    init(path: String, size: Int64, uploads: PartialUploads, hash: String) {
        self.path = path
        self.size = size
        self.uploads = uploads
        self.hash = hash
    }

    func discard() async {
        uploads.remove(hash)
    }
}
