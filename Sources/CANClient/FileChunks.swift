import Foundation
import NIOCore
import NIOPosix

/// The bytes of a multipart upload as an async sequence: a text prefix, then a file read in chunks on
/// NIO's blocking-I/O thread pool, then a text suffix. Each iteration reopens the file, so a retried
/// request streams it again from the start; the file is never loaded whole. With `available`, the
/// file may still be growing: each read first waits until the file holds the bytes it needs.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// 1 MiB reads keep thread-pool hops and syscalls few without holding much memory per upload.
    static let chunkSize = 1 << 20

    let prefix: ByteBuffer
    let path: String
    let fileSize: Int64
    let suffix: ByteBuffer
    /// Returns once the file holds at least this many bytes (nil: the file is complete).
    let available: (@Sendable (Int64) async throws -> Void)?

    func makeAsyncIterator() -> Iterator {
        Iterator(chunks: self)
    }

    final class Iterator: AsyncIteratorProtocol {
        private enum Stage { case prefix, file, done }

        private let chunks: FileChunks
        private var stage = Stage.prefix
        private var descriptor: Int32 = -1
        private var offset: Int64 = 0

        init(chunks: FileChunks) {
            self.chunks = chunks
        }

        deinit {
            if descriptor >= 0 { close(descriptor) }
        }

        func next() async throws -> ByteBuffer? {
            switch stage {
            case .prefix:
                stage = .file
                return chunks.prefix
            case .file:
                if let chunk = try await readChunk() { return chunk }
                stage = .done
                return chunks.suffix
            case .done:
                return nil
            }
        }

        private func readChunk() async throws -> ByteBuffer? {
            if descriptor < 0 {
                descriptor = open(chunks.path, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else {
                    throw CANClientError(status: nil, message: "cannot open \(chunks.path) for upload: \(String(cString: strerror(errno)))",
                                         url: chunks.path)
                }
            }
            let remaining = chunks.fileSize - offset
            guard remaining > 0 else { return nil }
            let count = Int(Swift.min(remaining, Int64(FileChunks.chunkSize)))
            try await chunks.available?(offset + Int64(count))
            let (descriptor, offset, path) = (self.descriptor, self.offset, chunks.path)
            let buffer = try await NIOThreadPool.singleton.runIfActive { () throws -> ByteBuffer in
                var buffer = ByteBufferAllocator().buffer(capacity: count)
                let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer -> Int in
                    let result = pread(descriptor, pointer.baseAddress, count, off_t(offset))
                    guard result >= 0 else {
                        throw CANClientError(status: nil, message: "cannot read \(path): \(String(cString: strerror(errno)))", url: path)
                    }
                    return result
                }
                guard read > 0 else {
                    throw CANClientError(status: nil, message: "\(path) shrank during upload at byte \(offset)", url: path)
                }
                return buffer
            }
            self.offset += Int64(buffer.readableBytes)
            return buffer
        }
    }
}
