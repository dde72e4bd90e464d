import CMalloc

/// glibc's malloc gives each thread that contends for memory an arena of its own, up to eight per
/// core, and memory freed in one arena is not reused by the others. The node's threads (event loops,
/// the blocking-I/O pool, the transport's I/O thread, the concurrency pool) pass buffers among each
/// other, so every arena fills with freed buffers over a long transfer. Two arenas keep the resident
/// set several MiB smaller at no measurable cost in throughput.
enum MallocArenas {
    /// Caps the arenas; call it before the node starts its threads.
    static func limit(to count: Int32) {
        _ = mallopt(M_ARENA_MAX, count)
    }
}
