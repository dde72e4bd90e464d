import HummingbirdCore
import Logging
import NIOCore

/// Wraps a server child channel so that each accepted connection reads up to `maximumRead` bytes per
/// read instead of NIO's default 64 KiB: a large upload then arrives in fewer reads, and every read
/// costs a pass through the channel pipeline and a wake-up of the request's task.
struct LargeReadsChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner
    let maximumRead: Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.setOption(ChannelOptions.recvAllocator,
                          value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: maximumRead))
            .flatMap { inner.setup(channel: channel, logger: logger) }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
