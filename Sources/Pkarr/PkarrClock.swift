#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time in the unit pkarr timestamps use.
public enum PkarrClock {
    /// Microseconds since the Unix epoch, now.
    public static func nowMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec / 1000)
    }
}
