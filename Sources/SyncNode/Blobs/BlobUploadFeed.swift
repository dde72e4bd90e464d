import CANModel
import NIOCore

/// A download as the body of a request to the local store: each chunk from the peer is hashed, and the
/// chunks are gathered into buffers of up to `gatherBytes` before they are passed on. The transport
/// delivers a chunk per packet (about 16 KiB); passing each one on would cost a write to the store's
/// socket, and a read and a body-chunk round on the store's side, for every packet. Two kinds of
/// request take it:
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
    /// The whole asset has arrived (and passed the check, when there is one).
    private var ended = false

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

    /// 256 KiB: a quarter of the transport's default stream window, so the peer keeps sending while a
    /// buffer fills, and few enough bytes that several downloads at once stay within the memory budget.
    static let gatherBytes = 256 << 10

    private func nextChunk() async throws -> ByteBuffer? {
        guard failure == nil, !ended else { return nil }
        var gathered = ByteBuffer()
        do {
            while let chunk = try await reader.next() {
                guard !chunk.isEmpty else { continue }
                chunk.withUnsafeBytes { hasher.update($0) }
                if gathered.capacity == 0 {
                    let remaining = reader.size - reader.offset + UInt64(chunk.count)
                    gathered.reserveCapacity(Int(Swift.min(remaining, UInt64(Self.gatherBytes))))
                }
                gathered.writeBytes(chunk)
                if gathered.readableBytes >= Self.gatherBytes { return gathered }
            }
            ended = true
            if let expectedHash {
                let actual = hasher.finalizeHex()
                guard actual == expectedHash else {
                    throw VerificationError(message: "content hashes to \(actual), not \(expectedHash)")
                }
            }
        } catch {
            failure = error
            // A whole ingest drops what was gathered; a partial upload keeps the bytes that arrived.
            if expectedHash != nil { throw error }
        }
        return gathered.readableBytes > 0 ? gathered : nil
    }
}
