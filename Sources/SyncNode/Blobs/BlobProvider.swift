import CANClient
import Foundation
import Logging
import NIOCore
import PluginHost

/// Serves blob requests: streams an asset from this node's CAN Service (with `Range`, never
/// holding it in memory) to a peer that has proved, on this connection, that it holds the secret
/// of a library whose document lists the asset.
final class BlobProvider: Sendable {
    private let client: CANClient
    private let engine: SyncEngine
    private let logger: Logger
    private let meter: TransferMeter

    init(client: CANClient, engine: SyncEngine, meter: TransferMeter, logger: Logger) {
        self.client = client
        self.engine = engine
        self.meter = meter
        self.logger = logger
    }

    func serve(_ stream: PeerStream) async {
        let peer = stream.connection.peer
        do {
            let request = try BlobRequest(decoding: try await stream.readToEnd(limit: BlobRequest.size))
            guard engine.sharedLibraries(with: peer).contains(request.library) else {
                try await answer(stream, .forbidden("node \(peer.short) has not proved it holds library \(request.library)"))
                return
            }
            guard let entry = try engine.documents.entry(request.library, hash: request.hash), !entry.manifest.deleted else {
                try await answer(stream, .notFound("library \(request.library) does not list \(request.hash)"))
                return
            }
            let download: CANDownload
            do {
                download = try await client.download(request.hash, range: .from(Int64(request.offset)))
            } catch let error as CANClientError where error.status == 404 || error.status == 416 {
                try await answer(stream, .notFound("this node does not hold \(request.hash) (from byte \(request.offset))"))
                return
            }
            // The store's body arrives in small chunks; the transport moves large writes far more
            // cheaply (one wake-up of its I/O thread each), so they are gathered first, the header
            // with them: a small asset goes out in one write.
            var sent: UInt64 = 0
            var batch = BlobResponseHeader.sending(totalSize: entry.manifest.size).encoded()
            var headerBytes = batch.count
            let remaining = entry.manifest.size - min(request.offset, entry.manifest.size)
            batch.reserveCapacity(batch.count + Int(min(remaining, UInt64(Self.writeSize))))
            for try await chunk in download.body {
                // Sent before it would outgrow its capacity: a grown batch would double its memory.
                if batch.count + chunk.readableBytes > batch.capacity {
                    try await send(&batch, on: stream, to: peer, headerBytes: &headerBytes, counting: &sent)
                }
                batch.append(contentsOf: chunk.readableBytesView)
            }
            try await send(&batch, on: stream, to: peer, headerBytes: &headerBytes, counting: &sent)
            try stream.finish()
            logger.debug("sent \(sent) bytes of \(request.hash) to \(peer.short)")
        } catch {
            logger.debug("blob request from \(peer.short) failed: \(error)")
            stream.reset(code: 3)
        }
    }

    static let writeSize = 1 << 20

    /// Writes `batch`; `headerBytes` of it (the first batch only) are the response header, not blob bytes.
    private func send(_ batch: inout [UInt8], on stream: PeerStream, to peer: NodeID, headerBytes: inout Int,
                      counting sent: inout UInt64) async throws {
        guard !batch.isEmpty else { return }
        try await stream.write(batch)
        let body = UInt64(batch.count - headerBytes)
        headerBytes = 0
        sent += body
        meter.sent(body, to: peer)
        batch.removeAll(keepingCapacity: true)
    }

    private func answer(_ stream: PeerStream, _ header: BlobResponseHeader) async throws {
        try await stream.write(header.encoded())
        try stream.finish()
    }
}
