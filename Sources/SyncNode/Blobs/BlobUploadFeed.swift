import CANModel
import NIOCore

/// A download as the body of a partial-upload request to the local store: each chunk from the peer is
/// hashed and passed on. A failed download ends the body early instead of failing it, so the store keeps
/// and confirms the bytes that arrived; the fetcher then reads `failure`.
///
/// Unchecked `Sendable`: the HTTP client is its one consumer, and the fetcher reads `failure` only after
/// the request has ended.
final class BlobUploadFeed: AsyncSequence, @unchecked Sendable {
    typealias Element = ByteBuffer

    private let reader: BlobResponseReader
    private let hasher: SHA256Hasher
    /// Why the download stopped before the whole asset arrived, if it did.
    private(set) var failure: (any Error)?

    init(reader: BlobResponseReader, hasher: SHA256Hasher) {
        self.reader = reader
        self.hasher = hasher
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let feed: BlobUploadFeed

        mutating func next() async -> ByteBuffer? {
            await feed.nextChunk()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(feed: self) }

    private func nextChunk() async -> ByteBuffer? {
        guard failure == nil else { return nil }
        do {
            while let chunk = try await reader.next() {
                guard !chunk.isEmpty else { continue }
                chunk.withUnsafeBytes { hasher.update($0) }
                return ByteBuffer(bytes: chunk)
            }
        } catch {
            failure = error
        }
        return nil
    }
}
