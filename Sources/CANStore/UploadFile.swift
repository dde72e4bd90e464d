import CANModel
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A temporary file receiving one upload. Bytes are gathered into large buffers; each full buffer is hashed
/// and then written with `pwrite` by NIO's blocking-I/O pool while the next one fills, so parsing on the
/// request's task, hashing one buffer and the kernel's copy of the one before into the page cache run side
/// by side.
///
/// Memory stays bounded: at most `maxBuffersInFlight` buffers are being hashed or written while one fills.
///
/// An upload normally goes to a fresh temporary file; `init(appendingTo:at:hasher:)` continues a kept
/// partial upload instead, which survives a dropped request.
final class UploadFile: StagedContent {
    /// 1 MiB: large enough that syscalls and hashing set-up cost nothing, small enough that a node
    /// receiving several uploads at once stays within its memory budget.
    static let bufferCapacity = 1 << 20
    /// Two: one being hashed while the one before it is written.
    static let maxBuffersInFlight = 2
    /// A small upload fits in its first buffer; a larger one moves to a pooled full-size buffer.
    static let firstBufferCapacity = 64 << 10
    /// Numbers this process's uploads; the directory lock keeps other processes out of the directory.
    private static let uploadCount = Atomic<Int>(0)

    let path: String
    private(set) var size: Int64 = 0
    private var descriptor: Int32
    private let hasher: SHA256Hasher
    /// A temporary upload is removed when dropped unfinished; a partial upload's file is kept.
    private let removeWhenDropped: Bool
    private var active: ByteBuffer
    private var inFlight: [(buffer: ByteBuffer, write: EventLoopFuture<Void>)] = []
    /// The hash of the last buffer handed to the writer.
    private var lastHash: EventLoopFuture<Void>?
    private let threadPool = NIOThreadPool.singleton
    private let eventLoop = MultiThreadedEventLoopGroup.singleton.any()

    init(directory: URL) throws {
        path = directory.path + "/upload-\(getpid())-\(Self.uploadCount.add(1, ordering: .relaxed).newValue)"
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CANStoreError.fault("could not create upload file \(path): \(String(cString: strerror(errno)))")
        }
        hasher = SHA256Hasher()
        removeWhenDropped = true
        active = ByteBufferAllocator().buffer(capacity: Self.firstBufferCapacity)
    }

    /// Continues the file at `path` (created if missing) from byte `offset`, dropping anything after it.
    /// `hasher` has digested the bytes before `offset`, or the caller does not need the hash.
    init(appendingTo path: String, at offset: Int64, hasher: SHA256Hasher) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CANStoreError.fault("could not open partial upload \(path): \(String(cString: strerror(errno)))")
        }
        guard ftruncate(descriptor, off_t(offset)) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw CANStoreError.fault("could not cut partial upload \(path) to \(offset) bytes: \(reason)")
        }
        size = offset
        self.hasher = hasher
        removeWhenDropped = false
        active = BufferPool.uploads.take()
    }

    deinit {
        guard descriptor >= 0 else { return }
        // An upload dropped without `discard()`: close only after pending writes, so none lands on a reused fd.
        let (descriptor, path, remove) = (self.descriptor, self.path, removeWhenDropped)
        EventLoopFuture.andAllComplete(inFlight.map(\.write), on: eventLoop).whenComplete { _ in
            Glibc.close(descriptor)
            if remove { unlink(path) }
        }
    }

    /// Copies `bytes` into the current buffer, handing full buffers to the writer.
    func append(_ bytes: ByteBuffer) {
        var bytes = bytes
        if active.capacity < Self.bufferCapacity, active.readableBytes + bytes.readableBytes > active.capacity {
            var full = BufferPool.uploads.take()
            full.writeImmutableBuffer(active)
            active = full
        }
        while bytes.readableBytes > 0 {
            let count = min(bytes.readableBytes, Self.bufferCapacity - active.readableBytes)
            active.writeImmutableBuffer(bytes.readSlice(length: count)!)
            if active.readableBytes == Self.bufferCapacity { submit() }
        }
    }

    /// Waits until few enough buffers are in flight; call between body chunks to keep memory bounded.
    func throttle() async throws {
        while inFlight.count > Self.maxBuffersInFlight {
            try await completeOldestWrite()
        }
    }

    /// Writes what is left, makes it durable, closes the file and returns the content's hash.
    /// The file stays on disk for the caller to install or discard.
    func finish() async throws -> String {
        try await close()
        return hasher.finalizeHex()
    }

    /// Writes what is left, makes it durable and closes the file; the hasher has seen every byte.
    func close() async throws {
        let (descriptor, path) = (self.descriptor, self.path)
        if inFlight.isEmpty {
            // Everything is still in the one buffer (a small upload): write and sync it in one job.
            let (buffer, offset) = (active, size)
            active = ByteBuffer()
            buffer.withUnsafeReadableBytes { hasher.update($0) }
            size += Int64(buffer.readableBytes)
            let writeAndSync = { @Sendable in
                try Self.write(buffer, to: descriptor, at: offset, path: path)
                try Self.sync(descriptor, path: path)
            }
            // Up to 64 KiB is written and synced on the request's task: the hop to the I/O pool and back
            // wakes two idle threads, which costs more than the copy (the sync blocks as the database commit does).
            if buffer.readableBytes <= Self.firstBufferCapacity {
                try writeAndSync()
            } else {
                try await threadPool.runIfActive(writeAndSync)
            }
            BufferPool.uploads.give(buffer)
        } else {
            submit(last: true)
            while !inFlight.isEmpty { try await completeOldestWrite() }
            BufferPool.uploads.give(active)
            active = ByteBuffer()
            try await threadPool.runIfActive { try Self.sync(descriptor, path: path) }
        }
        Glibc.close(descriptor)
        self.descriptor = -1
    }

    private static func sync(_ descriptor: Int32, path: String) throws {
        guard fsync(descriptor) == 0 else {
            throw CANStoreError.fault("could not sync upload file \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static func write(_ buffer: ByteBuffer, to descriptor: Int32, at offset: Int64, path: String) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            var written = 0
            while written < bytes.count {
                let result = pwrite(descriptor, bytes.baseAddress! + written, bytes.count - written,
                                    off_t(offset) + off_t(written))
                if result < 0 {
                    if errno == EINTR { continue }
                    throw CANStoreError.fault("could not write upload file \(path): \(String(cString: strerror(errno)))")
                }
                written += result
            }
        }
    }

    /// Drops the upload and its file, once writes still in flight have finished with the descriptor.
    func discard() async {
        let pending = inFlight
        inFlight = []
        try? await EventLoopFuture.andAllComplete(pending.map(\.write), on: eventLoop).get()
        for (buffer, _) in pending { BufferPool.uploads.give(buffer) }
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
        unlink(path)
    }

    /// Hands the current buffer to the writer; `last`: no more bytes follow, so no new buffer is taken.
    private func submit(last: Bool = false) {
        guard active.readableBytes > 0 else { return }
        let buffer = active
        let (descriptor, offset, path, threadPool) = (self.descriptor, size, self.path, self.threadPool)
        // The I/O pool hashes the buffer, not the request's task: the bytes then cross to the pool's core
        // once, where the kernel's copy finds them. Hashes run one after another, in order, and so do writes
        // (writes to one file in parallel only contend for its lock); a buffer is written once it is hashed,
        // so one buffer's write overlaps the next one's hash. `finish()` reads the digest after the last write.
        nonisolated(unsafe) let hasher = hasher
        let previousHash = lastHash ?? eventLoop.makeSucceededVoidFuture()
        let previousWrite = inFlight.last?.write ?? eventLoop.makeSucceededVoidFuture()
        let hashed = previousHash.flatMap { [eventLoop] in
            threadPool.runIfActive(eventLoop: eventLoop) { buffer.withUnsafeReadableBytes { hasher.update($0) } }
        }
        let write = hashed.and(previousWrite).flatMap { [eventLoop] _ in
            threadPool.runIfActive(eventLoop: eventLoop) { try Self.write(buffer, to: descriptor, at: offset, path: path) }
        }
        lastHash = hashed
        size += Int64(buffer.readableBytes)
        inFlight.append((buffer, write))
        active = last ? ByteBuffer() : BufferPool.uploads.take()
    }

    private func completeOldestWrite() async throws {
        let (buffer, write) = inFlight.removeFirst()
        try await write.get()
        BufferPool.uploads.give(buffer)
    }
}
