import CPluginAPI
import Synchronization

/// One bidirectional stream over a `PeerConnection`. Reads hand out the chunks the plugin
/// delivered and grant the peer credit as they are taken; writes suspend while the send window
/// is full. Use one reader task and one writer task at a time; cancelling a task that waits in
/// read() or write() makes the call throw CancellationError (the stream stays usable).
public final class PeerStream: Sendable, CustomStringConvertible {
    /// The plugin's handle for the stream.
    public let id: UInt64
    /// The protocol tag the stream was opened with.
    public let protocolName: String
    public let connection: PeerConnection

    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var finished = false
        var failure: TransportError?
        var reader: CheckedContinuation<[UInt8]?, any Error>?
        var writer: CheckedContinuation<Void, any Error>?
        /// Counts stream_writable callbacks so a writer cannot miss one that raced its short write.
        var writableSignals: UInt64 = 0
        var sentFin = false
        var readEnd = false
    }

    private let state = Mutex(State())

    init(id: UInt64, protocolName: String, connection: PeerConnection) {
        self.id = id
        self.protocolName = protocolName
        self.connection = connection
    }

    public var description: String { "stream \(id) '\(protocolName)' on \(connection)" }

    private var transport: PeerTransport { connection.transport }

    // MARK: Reading

    /// The next chunk of bytes from the peer, or nil once it has finished sending. Throws if the
    /// stream was reset or its connection died.
    public func read() async throws -> [UInt8]? {
        enum Next { case chunk([UInt8]), end, wait }
        let next: Next = try state.withLock { state in
            if let chunk = Self.popChunk(&state) { return .chunk(chunk) }
            if let failure = state.failure { throw failure }
            return state.finished ? .end : .wait
        }
        switch next {
        case .chunk(let chunk):
            consumed(chunk.count)
            return chunk
        case .end:
            reachedEnd()
            return nil
        case .wait:
            let chunk = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                    let immediate: Result<[UInt8]?, any Error>? = state.withLock { state in
                        if let chunk = Self.popChunk(&state) { return .success(chunk) }
                        if let failure = state.failure { return .failure(failure) }
                        if state.finished { return .success(nil) }
                        if Task.isCancelled { return .failure(CancellationError()) }
                        state.reader = continuation
                        return nil
                    }
                    if let immediate { continuation.resume(with: immediate) }
                }
            } onCancel: {
                let reader = state.withLock { state in
                    defer { state.reader = nil }
                    return state.reader
                }
                reader?.resume(throwing: CancellationError())
            }
            if let chunk { consumed(chunk.count) } else { reachedEnd() }
            return chunk
        }
    }

    /// Once both directions are finished the plugin forgets the stream; so does the transport.
    private func reachedEnd() {
        let done = state.withLock { state in
            state.readEnd = true
            return state.sentFin
        }
        if done { transport.forget(stream: id) }
    }

    /// Takes the oldest queued chunk.
    private static func popChunk(_ state: inout State) -> [UInt8]? {
        guard state.head < state.chunks.count else { return nil }
        let chunk = state.chunks[state.head]
        state.chunks[state.head] = []
        state.head += 1
        if state.head == state.chunks.count {
            state.chunks.removeAll(keepingCapacity: true)
            state.head = 0
        }
        return chunk
    }

    /// Reads until the peer finishes, failing if more than `limit` bytes arrive.
    public func readToEnd(limit: Int) async throws -> [UInt8] {
        var all: [UInt8] = []
        while let chunk = try await read() {
            guard all.count + chunk.count <= limit else {
                reset(code: 1)
                throw TransportError.plugin(operation: "read", status: CSYNC_ERR_INVALID.rawValue,
                                            message: "\(self) sent more than \(limit) bytes")
            }
            all += chunk
        }
        return all
    }

    private func consumed(_ count: Int) {
        guard count > 0, !transport.isStopped else { return }
        transport.vtable.consume(transport.state, id, count)
    }

    func received(_ bytes: UnsafeRawBufferPointer, fin: Bool) {
        let reader: CheckedContinuation<[UInt8]?, any Error>? = state.withLock { state in
            if fin { state.finished = true }
            if let reader = state.reader {
                state.reader = nil
                return reader
            }
            if !bytes.isEmpty { state.chunks.append(Array(bytes)) }
            return nil
        }
        guard let reader else { return }
        if bytes.isEmpty {
            // Only a FIN arrived: the reader sees the end.
            reader.resume(returning: fin ? nil : [])
        } else {
            reader.resume(returning: Array(bytes))
        }
    }

    // MARK: Writing

    /// Sends all of `bytes`, suspending while the stream's send buffer is full.
    public func write(_ bytes: [UInt8]) async throws {
        var offset = 0
        while offset < bytes.count {
            let signals = try state.withLock { state in
                if let failure = state.failure { throw failure }
                return state.writableSignals
            }
            guard !transport.isStopped else { throw writeError(CSYNC_ERR_CLOSED.rawValue) }
            let accepted = bytes.withUnsafeBufferPointer { buffer in
                transport.vtable.write(transport.state, id, buffer.baseAddress! + offset, buffer.count - offset, 0)
            }
            guard accepted >= 0 else { throw writeError(Int32(accepted)) }
            offset += Int(accepted)
            if offset < bytes.count { try await waitWritable(since: signals) }
        }
    }

    /// Finishes sending: the peer reads the end of the stream after the bytes already written.
    public func finish() throws {
        guard !transport.isStopped else { throw writeError(CSYNC_ERR_CLOSED.rawValue) }
        let accepted = transport.vtable.write(transport.state, id, nil, 0, 1)
        guard accepted >= 0 else { throw writeError(Int32(accepted)) }
        let done = state.withLock { state in
            state.sentFin = true
            return state.readEnd
        }
        if done { transport.forget(stream: id) }
    }

    /// Abandons the stream in both directions; the peer sees `code`.
    public func reset(code: UInt64) {
        if !transport.isStopped { _ = transport.vtable.reset_stream(transport.state, id, code) }
        transport.forget(stream: id)
        failed(.streamReset(stream: id, code: code))
    }

    private func writeError(_ status: Int32) -> any Error {
        if let failure = state.withLock({ $0.failure }) { return failure }
        if let closed = connection.closedError { return closed }
        return TransportError.plugin(operation: "write", status: status, message: "\(self) is closed for writing")
    }

    private func waitWritable(since signals: UInt64) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let immediate: Result<Void, any Error>? = state.withLock { state in
                    if let failure = state.failure { return .failure(failure) }
                    if state.writableSignals != signals { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.writer = continuation
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let writer = state.withLock { state in
                defer { state.writer = nil }
                return state.writer
            }
            writer?.resume(throwing: CancellationError())
        }
    }

    func writable() {
        let writer = state.withLock { state in
            state.writableSignals += 1
            defer { state.writer = nil }
            return state.writer
        }
        writer?.resume()
    }

    /// Ends the stream with an error: waiting and future reads and writes throw it.
    func failed(_ error: TransportError) {
        let (reader, writer) = state.withLock { state in
            if state.failure == nil { state.failure = error }
            defer {
                state.reader = nil
                state.writer = nil
            }
            return (state.reader, state.writer)
        }
        let failure = state.withLock { $0.failure! }
        reader?.resume(throwing: failure)
        writer?.resume(throwing: failure)
    }
}
