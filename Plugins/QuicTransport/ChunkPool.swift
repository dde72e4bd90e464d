#if canImport(Glibc)
import Glibc
#endif

/// Recycles send-buffer chunks. Freshly allocated chunks page-fault on first touch and glibc hands
/// freed ones back to the kernel, so at hundreds of MB/s reusing them saves a page fault per 4 KiB.
final class ChunkPool: @unchecked Sendable {
    private let lock = PluginLock()
    private var spare: [UnsafeMutableRawPointer] = []
    /// At most this many idle chunks are kept.
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func take() -> UnsafeMutableRawPointer {
        lock.withLock { spare.popLast() } ?? malloc(SendBuffer.chunkSize)!
    }

    func give(_ chunk: UnsafeMutableRawPointer) {
        let kept = lock.withLock {
            guard spare.count < limit else { return false }
            spare.append(chunk)
            return true
        }
        if !kept { free(chunk) }
    }
}
