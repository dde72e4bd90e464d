import CANModel
import Foundation
import NIOCore

/// A temporary file receiving one upload: bytes are gathered into a large buffer, then hashed and written in
/// one go, so the SHA-256 runs over big runs of memory and the kernel sees few, large writes.
///
/// Writes are plain blocking `write(2)` calls: they land in the page cache, and each is one buffer's worth.
final class UploadFile {
    /// 4 MiB: large enough that syscalls and hashing set-up cost nothing, small enough to keep RSS low.
    static let bufferCapacity = 4 << 20

    let path: String
    private var descriptor: Int32
    private let hasher = SHA256Hasher()
    private let buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0
    private(set) var size: Int64 = 0

    init(directory: URL) throws {
        path = directory.appendingPathComponent("upload-\(UUID().uuidString)").path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CANStoreError.fault("could not create upload file \(path): \(String(cString: strerror(errno)))")
        }
        buffer = .allocate(byteCount: Self.bufferCapacity, alignment: 64)
    }

    deinit {
        buffer.deallocate()
        if descriptor >= 0 {
            close(descriptor)
            unlink(path)
        }
    }

    func append(_ bytes: ByteBuffer) throws {
        try bytes.withUnsafeReadableBytes { try append(UnsafeRawBufferPointer($0)) }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var remaining = bytes
        while !remaining.isEmpty {
            let count = min(remaining.count, Self.bufferCapacity - buffered)
            (buffer.baseAddress! + buffered).copyMemory(from: remaining.baseAddress!, byteCount: count)
            buffered += count
            remaining = UnsafeRawBufferPointer(rebasing: remaining.dropFirst(count))
            if buffered == Self.bufferCapacity { try flush() }
        }
    }

    /// Writes what is buffered, makes it durable, closes the file and returns the content's hash.
    /// The file stays on disk for the caller to install or discard.
    func finish() throws -> String {
        try flush()
        guard fsync(descriptor) == 0 else {
            throw CANStoreError.fault("could not sync upload file \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        descriptor = -1
        return hasher.finalizeHex()
    }

    /// Drops the upload and its file.
    func discard() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(path)
    }

    private func flush() throws {
        guard buffered > 0 else { return }
        let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<buffered])
        hasher.update(chunk)
        var written = 0
        while written < chunk.count {
            let result = write(descriptor, chunk.baseAddress! + written, chunk.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                throw CANStoreError.fault("could not write upload file \(path): \(String(cString: strerror(errno)))")
            }
            written += result
        }
        size += Int64(buffered)
        buffered = 0
    }
}
