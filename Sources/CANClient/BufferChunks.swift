import NIOCore

/// Buffers already in memory as a request body's async sequence, each sent as it is.
struct BufferChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let buffers: [ByteBuffer]

    var byteCount: Int { buffers.reduce(0) { $0 + $1.readableBytes } }

    func makeAsyncIterator() -> Iterator {
        Iterator(remaining: buffers[...])
    }

    struct Iterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>

        mutating func next() async -> ByteBuffer? {
            remaining.popFirst()
        }
    }
}
