import Dispatch
import Foundation
import Synchronization

/// The plugin's own thread: runs a tick at once and then every interval until stopped, so no host
/// thread ever waits on file I/O.
final class PeriodicWorker: Sendable {
    private let stopRequested = Mutex(false)
    private let running = Mutex(false)
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    /// `makeTick` runs on the new thread and returns the tick, so the tick's state never leaves that thread.
    func start(name: String, intervalMilliseconds: Int, _ makeTick: @escaping @Sendable () -> () -> Void) {
        let alreadyRunning = running.withLock { running in
            defer { running = true }
            return running
        }
        guard !alreadyRunning else { return }
        let thread = Thread { [self] in
            let tick = makeTick()
            while !stopRequested.withLock({ $0 }) {
                tick()
                _ = wake.wait(timeout: .now() + .milliseconds(intervalMilliseconds))
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the thread and waits for its current tick to end. Safe to call more than once.
    func stop() {
        guard running.withLock({ $0 }) else { return }
        let first = stopRequested.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        wake.signal()
        finished.wait()
    }
}
