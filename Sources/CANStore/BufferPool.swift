import NIOCore
import Synchronization

/// Upload buffers kept for the next upload. A fresh 1 MiB buffer costs a page fault for every 4 KiB
/// it is filled with (and on a virtual machine each of those may exit to the hypervisor); a buffer
/// taken from here was filled before, so its pages are already there.
final class BufferPool: Sendable {
    /// Shared by every upload of the process. Two spare buffers: every spare one is memory no other
    /// allocation can reuse while a node serves a large transfer.
    static let uploads = BufferPool(capacity: UploadFile.bufferCapacity, keep: 2)

    let capacity: Int
    let keep: Int
    private let spare = Mutex<[ByteBuffer]>([])

    init(capacity: Int, keep: Int) {
        self.capacity = capacity
        self.keep = keep
    }

    /// An empty buffer of `capacity` bytes, reused when one is spare.
    func take() -> ByteBuffer {
        guard var buffer = spare.withLock({ $0.popLast() }) else {
            return ByteBufferAllocator().buffer(capacity: capacity)
        }
        buffer.clear()
        return buffer
    }

    /// Keeps `buffer` for a later `take` while fewer than `keep` are spare; drops it otherwise. The
    /// caller must hold no other copy of it, or the next `take` pays for a fresh one after all.
    func give(_ buffer: ByteBuffer) {
        guard buffer.capacity >= capacity else { return }
        spare.withLock { spare in
            if spare.count < keep { spare.append(buffer) }
        }
    }
}
