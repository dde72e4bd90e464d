import Dispatch
import PluginAPI
import Synchronization

/// Hands host calls (messages, library events) to the worker thread without blocking the caller.
final class GossipInbox: Sendable {
    /// Beyond this many waiting events, new ones are dropped: a flood costs memory only up to here.
    static let capacity = 4096

    enum Event: Sendable {
        case message(from: [UInt8], bytes: [UInt8])
        case library(LibraryMembership)
    }

    private let state = Mutex<(events: [Event], stopped: Bool)>(([], false))
    private let wake = DispatchSemaphore(value: 0)

    func post(_ event: Event) {
        let posted = state.withLock { state in
            guard !state.stopped, state.events.count < Self.capacity else { return false }
            state.events.append(event)
            return true
        }
        if posted { wake.signal() }
    }

    func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
    }

    /// Everything posted so far, and whether the worker should stop.
    func drain() -> (events: [Event], stopped: Bool) {
        state.withLock { state in
            defer { state.events.removeAll() }
            return (state.events, state.stopped)
        }
    }

    /// Waits until something is posted or `milliseconds` pass.
    func wait(milliseconds: UInt64) {
        _ = wake.wait(timeout: .now() + .milliseconds(Int(min(milliseconds, 3_600_000))))
    }
}
