import Hummingbird
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Reads content files for responses on NIO's blocking-I/O pool: a small file in one job, a larger
/// range as a stream of chunks read one ahead of the client, so a response holds at most two chunks
/// in memory however fast the disk and however slow the client.
enum BlobReader {
    /// Content up to this size is read in one go and sent as one buffer: streaming it would cost more
    /// hops to the I/O threads than the bytes themselves.
    static let wholeLimit: Int64 = 1 << 20
    /// 256 KiB: each chunk costs a task, a hop to the I/O pool and a socket write, so a large asset is
    /// read in few of them; two chunks in flight still keep a response's memory small.
    static let chunkSize: Int64 = 256 << 10

    /// Content up to this size is read on the request's task: the hop to the I/O pool and back wakes
    /// two idle threads, which costs more than reading it from the page cache.
    static let inlineLimit: Int64 = 64 << 10

    /// The first `size` bytes of the file at `path`, read in one job.
    static func whole(_ path: String, size: Int64) async throws -> ByteBuffer {
        let readAll = { @Sendable in
            let descriptor = try open(path)
            defer { close(descriptor) }
            return try read(descriptor, at: 0, count: size, path: path)
        }
        return size <= inlineLimit ? try readAll() : try await NIOThreadPool.singleton.runIfActive(readAll)
    }

    /// A response body streaming `range` of the file at `path`.
    static func stream(_ path: String, range: ClosedRange<Int64>) -> ResponseBody {
        ResponseBody(contentLength: Int(range.count)) { writer in
            let descriptor = try await NIOThreadPool.singleton.runIfActive { try open(path) }
            let end = range.upperBound + 1
            let readChunk = { @Sendable (offset: Int64) in
                Task { try await NIOThreadPool.singleton.runIfActive {
                    try read(descriptor, at: offset, count: min(chunkSize, end - offset), path: path)
                } }
            }
            var pending: Task<ByteBuffer, any Error>? = readChunk(range.lowerBound)
            do {
                var offset = range.lowerBound
                while let current = pending {
                    let chunk = try await current.value
                    offset += Int64(chunk.readableBytes)
                    pending = offset < end ? readChunk(offset) : nil
                    try await writer.write(chunk)
                }
                try await writer.finish(nil)
            } catch {
                // The read ahead still uses the descriptor: it is closed only after that read ends.
                _ = try? await pending?.value
                close(descriptor)
                throw error
            }
            close(descriptor)
        }
    }

    private static func open(_ path: String) throws -> Int32 {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw CANStoreError.fault("could not open \(path): \(String(cString: strerror(errno)))")
        }
        return descriptor
    }

    /// `count` bytes from `offset`; a file that ends sooner is a fault (it is shorter than its record).
    private static func read(_ descriptor: Int32, at offset: Int64, count: Int64, path: String) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: Int(count))
        while buffer.readableBytes < Int(count) {
            let (done, wanted) = (buffer.readableBytes, Int(count) - buffer.readableBytes)
            let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { bytes in
                let result = pread(descriptor, bytes.baseAddress, wanted, off_t(offset) + off_t(done))
                guard result >= 0 else {
                    throw CANStoreError.fault("could not read \(path): \(String(cString: strerror(errno)))")
                }
                return result
            }
            guard got > 0 else { throw CANStoreError.fault("\(path) ends before byte \(offset + Int64(done + wanted))") }
        }
        return buffer
    }
}
