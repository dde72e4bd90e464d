import Synchronization

/// Wakes long-polling `/list` requests when the change counter moves past the value they last saw.
final class ChangeSignal: Sendable {
    private struct State {
        var latest: Int64
        var nextID: UInt64 = 0
        var waiters: [UInt64: (after: Int64, continuation: CheckedContinuation<Void, Never>)] = [:]
        var cancelled: Set<UInt64> = []
    }

    private let state: Mutex<State>

    init(latest: Int64) {
        state = Mutex(State(latest: latest))
    }

    /// Records that the counter reached `seq` and wakes every waiter that was waiting for less.
    func publish(_ seq: Int64) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.latest = max(state.latest, seq)
            let ready = state.waiters.filter { $0.value.after < state.latest }
            for id in ready.keys { state.waiters[id] = nil }
            return ready.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns once the counter is past `seq`, the timeout passes, or the task is cancelled.
    func wait(after seq: Int64, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.waitForChange(after: seq) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForChange(after seq: Int64) async {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.latest > seq || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = (seq, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return waiter.continuation
            }
            waiter?.resume()
        }
        // A cancel that raced with a normal wake-up may have left the id behind.
        state.withLock { _ = $0.cancelled.remove(id) }
    }
}
