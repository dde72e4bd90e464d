import Foundation
import PluginHost
import SyncProtocol

/// One blob download from a peer: asks for an asset's bytes from an offset, checks the answer's header,
/// then hands out the body in order until exactly the entry's size has arrived. Counts what arrives.
final class BlobResponseReader {
    let hash: String
    let size: UInt64
    /// Bytes of the asset before the next chunk `next()` returns.
    private(set) var offset: UInt64
    private let stream: PeerStream
    private let meter: TransferMeter
    /// Body bytes that arrived with the header.
    private var first: [UInt8]?

    private init(stream: PeerStream, hash: String, size: UInt64, offset: UInt64, first: [UInt8], meter: TransferMeter) {
        self.stream = stream
        self.hash = hash
        self.size = size
        self.offset = offset
        self.first = first
        self.meter = meter
    }

    /// Sends the request and reads the answer's header; throws `FetchError` when the peer does not send.
    static func open(_ entry: SyncEntry, library: UUID, from connection: PeerConnection, offset: UInt64,
                     meter: TransferMeter) async throws -> BlobResponseReader {
        let (hash, size) = (entry.manifest.hashHex, entry.manifest.size)
        let stream = try await connection.openStream(protocol: ProtocolNames.blobs)
        try await stream.write(BlobRequest(library: library, hash: hash, offset: offset).encoded())
        try stream.finish()
        var pending: [UInt8] = []
        while let chunk = try await stream.read() {
            pending += chunk
            guard let (header, used) = try BlobResponseHeader.decode(pending) else { continue }
            guard case .sending = header else { throw FetchError(message: "\(header)") }
            return BlobResponseReader(stream: stream, hash: hash, size: size, offset: offset,
                                      first: Array(pending[used...]), meter: meter)
        }
        throw FetchError(message: "the peer closed the stream without an answer")
    }

    /// The next bytes of the body (possibly none), or nil once the whole asset has arrived. Throws
    /// `VerificationError` when the peer sends more than the entry declares, `FetchError` when it stops short.
    func next() async throws -> [UInt8]? {
        let chunk: [UInt8]
        if let first {
            self.first = nil
            chunk = first
        } else if let read = try await stream.read() {
            chunk = read
        } else {
            guard offset == size else { throw FetchError(message: "stream ended at byte \(offset) of \(size)") }
            return nil
        }
        guard offset + UInt64(chunk.count) <= size else {
            stream.reset(code: 4)
            throw VerificationError(message: "sent more than the \(size) bytes the entry declares")
        }
        offset += UInt64(chunk.count)
        meter.received(UInt64(chunk.count), hash: hash, from: stream.connection.peer)
        return chunk
    }
}
