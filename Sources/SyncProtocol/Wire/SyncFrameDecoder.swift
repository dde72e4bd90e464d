/// Splits a sync byte stream into messages: feed whatever the transport delivers, then take
/// messages until it returns nil (a frame is still incomplete). Rejects an oversize frame as
/// soon as its length prefix arrives, before buffering it.
public struct SyncFrameDecoder: Sendable {
    public let maxPayloadBytes: Int
    private var buffer: [UInt8] = []
    private var readOffset = 0
    /// Bytes consumed by complete frames so far, for error positions and byte counts.
    public private(set) var consumedBytes = 0

    public init(maxPayloadBytes: Int = SyncMessage.maxPayloadBytes) {
        self.maxPayloadBytes = maxPayloadBytes
    }

    /// Bytes received but not yet part of a returned message.
    public var bufferedBytes: Int { buffer.count - readOffset }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if readOffset > 0 && readOffset >= buffer.count / 2 {
            buffer.removeFirst(readOffset)
            readOffset = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, or nil if more bytes are needed. Throws `WireFormatError`
    /// for an oversize or malformed frame; the stream cannot continue after that.
    public mutating func next() throws -> SyncMessage? {
        guard bufferedBytes >= 4 else { return nil }
        var length = 0
        for index in readOffset..<readOffset + 4 {
            length = length << 8 | Int(buffer[index])
        }
        guard length <= maxPayloadBytes else {
            throw WireFormatError("sync frame", offset: consumedBytes,
                                  "frame length \(length) exceeds the \(maxPayloadBytes)-byte limit: not a CAN Sync stream, or a broken peer")
        }
        guard bufferedBytes >= 4 + length else { return nil }
        let payload = Array(buffer[readOffset + 4..<readOffset + 4 + length])
        readOffset += 4 + length
        let frameOffset = consumedBytes
        consumedBytes += 4 + length
        do {
            return try SyncMessage(decodingPayload: payload)
        } catch let error as WireFormatError {
            throw WireFormatError("sync frame at stream byte \(frameOffset): \(error.context)", offset: error.offset, error.reason)
        }
    }
}
