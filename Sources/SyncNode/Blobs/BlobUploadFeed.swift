import CANModel
import NIOCore

/// A download as the body of a request to the local store: each chunk from the peer is hashed and
/// passed on. Two kinds of request take it:
///
/// - a partial upload (`verifying: nil`): a failed download ends the body early instead of failing it,
///   so the store keeps and confirms the bytes that arrived; the fetcher then reads `failure` and checks
///   the hash itself;
/// - a whole ingest (`verifying:` the asset's hash): a failed download fails the body, and so does
///   content that does not hash to the asset's hash, checked before the body ends; the form is then never
///   completed and the store ingests nothing.
///
/// Unchecked `Sendable`: the HTTP client is its one consumer, and the fetcher reads `failure` only after
/// the request has ended.
final class BlobUploadFeed: AsyncSequence, @unchecked Sendable {
    typealias Element = ByteBuffer

    private let reader: BlobResponseReader
    private let hasher: SHA256Hasher
    private let expectedHash: String?
    /// Why the download stopped before the whole asset arrived, or why its content was refused.
    private(set) var failure: (any Error)?

    init(reader: BlobResponseReader, hasher: SHA256Hasher, verifying expectedHash: String? = nil) {
        self.reader = reader
        self.hasher = hasher
        self.expectedHash = expectedHash
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let feed: BlobUploadFeed

        mutating func next() async throws -> ByteBuffer? {
            try await feed.nextChunk()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(feed: self) }

    private func nextChunk() async throws -> ByteBuffer? {
        guard failure == nil else { return nil }
        do {
            while let chunk = try await reader.next() {
                guard !chunk.isEmpty else { continue }
                chunk.withUnsafeBytes { hasher.update($0) }
                return ByteBuffer(bytes: chunk)
            }
            if let expectedHash {
                let actual = hasher.finalizeHex()
                guard actual == expectedHash else {
                    throw VerificationError(message: "content hashes to \(actual), not \(expectedHash)")
                }
            }
        } catch {
            failure = error
            if expectedHash != nil { throw error }
        }
        return nil
    }
}
