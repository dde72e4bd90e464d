import Synchronization

/// How far a file being downloaded has been written, for a reader that follows it (the upload
/// into the local CAN Service): waiters resume as bytes land, or fail when the download does.
final class FileGrowth: Sendable {
    private struct State {
        var length: Int64
        var failure: (any Error)?
        var waiters: [(length: Int64, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    private let state: Mutex<State>

    init(length: Int64) {
        state = Mutex(State(length: length))
    }

    /// Records that the file now holds `length` bytes.
    func grew(to length: Int64) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.length = length
            let ready = state.waiters.filter { $0.length <= length }.map(\.continuation)
            state.waiters.removeAll { $0.length <= length }
            return ready
        }
        ready.forEach { $0.resume() }
    }

    /// Wakes every waiter with `error`: the file will not grow any more.
    func fail(_ error: any Error) {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.failure = error
            defer { state.waiters = [] }
            return state.waiters.map(\.continuation)
        }
        waiting.forEach { $0.resume(throwing: error) }
    }

    /// Returns once the file holds `length` bytes.
    func wait(for length: Int64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome: Result<Void, any Error>? = state.withLock { state in
                if state.length >= length { return .success(()) }
                if let failure = state.failure { return .failure(failure) }
                state.waiters.append((length, continuation))
                return nil
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }
}
