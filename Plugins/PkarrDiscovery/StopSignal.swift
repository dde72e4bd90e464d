import Dispatch
import Synchronization

/// Tells the plugin's thread to stop: wakes its sleeps and aborts its HTTP transfers.
final class StopSignal: Sendable {
    private let stopped = Mutex(false)
    private let wake = DispatchSemaphore(value: 0)

    var isStopped: Bool { stopped.withLock { $0 } }

    func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        if first { wake.signal() }
    }

    /// Sleeps up to `seconds`; returns false when woken by `stop`.
    func sleep(seconds: Double) -> Bool {
        guard !isStopped else { return false }
        guard seconds > 0 else { return true }
        if wake.wait(timeout: .now() + .nanoseconds(Int(min(seconds, 3600) * 1e9))) == .success {
            wake.signal()
            return false
        }
        return !isStopped
    }
}
