import CNgtcp2
#if canImport(Glibc)
import Glibc
#endif

/// A stream's outgoing bytes in fixed heap chunks that never move: ngtcp2 0.12 keeps pointers to
/// sent data until the peer acknowledges it, so a chunk is freed only when every byte in it is acked.
final class SendBuffer {
    /// Below glibc's mmap threshold, so chunks come from the heap and are reused without page faults.
    static let chunkSize = 64 * 1024

    private let pool: ChunkPool
    private var chunks: [UnsafeMutableRawPointer] = []
    private var head = 0
    /// Stream offset of the first byte of chunks[head].
    private var baseOffset: UInt64 = 0
    private(set) var writeOffset: UInt64 = 0
    private(set) var sentOffset: UInt64 = 0
    private(set) var ackedOffset: UInt64 = 0

    init(pool: ChunkPool) {
        self.pool = pool
    }

    /// Bytes held: not yet acknowledged.
    var buffered: Int { Int(writeOffset - ackedOffset) }
    var unsent: Int { Int(writeOffset - sentOffset) }

    /// Copies all of `bytes` in.
    func append(_ bytes: UnsafeRawBufferPointer) {
        var source = bytes
        while !source.isEmpty {
            let used = Int((writeOffset - baseOffset) % UInt64(Self.chunkSize))
            if used == 0 && Int(writeOffset - baseOffset) / Self.chunkSize >= chunks.count - head {
                chunks.append(pool.take())
            }
            let chunk = chunks[head + Int(writeOffset - baseOffset) / Self.chunkSize]
            let count = min(Self.chunkSize - used, source.count)
            (chunk + used).copyMemory(from: source.baseAddress!, byteCount: count)
            writeOffset += UInt64(count)
            source = UnsafeRawBufferPointer(rebasing: source[count...])
        }
    }

    /// Points up to `capacity` vectors at the unsent bytes; returns how many were filled.
    func fillVectors(_ vectors: UnsafeMutablePointer<ngtcp2_vec>, capacity: Int) -> Int {
        var offset = sentOffset
        var filled = 0
        while offset < writeOffset && filled < capacity {
            let relative = Int(offset - baseOffset)
            let within = relative % Self.chunkSize
            let chunk = chunks[head + relative / Self.chunkSize]
            let count = min(Self.chunkSize - within, Int(writeOffset - offset))
            vectors[filled] = ngtcp2_vec(base: (chunk + within).assumingMemoryBound(to: UInt8.self), len: count)
            offset += UInt64(count)
            filled += 1
        }
        return filled
    }

    func markSent(_ count: Int) {
        sentOffset += UInt64(count)
    }

    /// Everything below `offset` is acknowledged: frees the chunks that are wholly below it.
    func acknowledge(upTo offset: UInt64) {
        guard offset > ackedOffset else { return }
        ackedOffset = min(offset, writeOffset)
        while head < chunks.count && baseOffset + UInt64(Self.chunkSize) <= ackedOffset {
            pool.give(chunks[head])
            head += 1
            baseOffset += UInt64(Self.chunkSize)
        }
        if head > 16 {
            chunks.removeFirst(head)
            head = 0
        }
    }

    /// Frees everything; ngtcp2 must no longer refer to the stream.
    func release() {
        for index in head..<chunks.count { pool.give(chunks[index]) }
        chunks = []
        head = 0
    }

    deinit { release() }
}
