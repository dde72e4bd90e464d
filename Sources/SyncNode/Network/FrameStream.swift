import PluginHost
import SyncProtocol

/// Sync messages over one transport stream: frames decoded as bytes arrive, and writes
/// serialized through one queue so concurrent senders never interleave frames.
final class FrameStream: Sendable {
    let stream: PeerStream
    private let outgoing: AsyncStream<SyncMessage>.Continuation
    private let writer: Task<Void, Never>

    init(_ stream: PeerStream) {
        self.stream = stream
        let (messages, continuation) = AsyncStream.makeStream(of: SyncMessage.self)
        outgoing = continuation
        writer = Task {
            do {
                for await message in messages {
                    try await stream.write(try message.encodedFrame())
                }
                try stream.finish()
            } catch {
                stream.reset(code: 2)
            }
        }
    }

    /// Queues a message; it is written after every message queued before it.
    func send(_ message: SyncMessage) {
        outgoing.yield(message)
    }

    /// Finishes the stream after the queued messages.
    func finish() {
        outgoing.finish()
    }

    /// Decoded incoming messages, ending when the peer finishes the stream.
    func messages() -> AsyncThrowingStream<SyncMessage, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var decoder = SyncFrameDecoder()
                do {
                    while let chunk = try await stream.read() {
                        decoder.append(chunk)
                        while let message = try decoder.next() { continuation.yield(message) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    deinit {
        outgoing.finish()
    }
}
