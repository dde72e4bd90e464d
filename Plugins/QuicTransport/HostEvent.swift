import PluginAPI

/// A host callback waiting to be made by the I/O thread once it has dropped the lock.
enum HostEvent {
    case opened(connection: UInt64, peer: [UInt8], incoming: Bool, address: String)
    case closed(connection: UInt64, code: Int32, reason: String)
    case dialFailed(peer: [UInt8], reason: String)
    case streamOpened(connection: UInt64, stream: UInt64, protocolName: String)
    case data(stream: UInt64, ReceivedBytes)
    case writable(stream: UInt64)
    case reset(stream: UInt64, code: UInt64)
    case log(csync_log_level, String)

    /// Makes the callback. Called without the lock held.
    func deliver(to host: UnsafePointer<csync_host_api>) {
        let context = host.pointee.host_ctx
        switch self {
        case .opened(let connection, let peer, let incoming, let address):
            peer.withUnsafeBufferPointer { id in
                host.pointee.connection_opened?(context, connection, id.baseAddress, incoming ? 1 : 0, address)
            }
        case .closed(let connection, let code, let reason):
            host.pointee.connection_closed?(context, connection, code, reason)
        case .dialFailed(let peer, let reason):
            peer.withUnsafeBufferPointer { id in host.pointee.dial_failed?(context, id.baseAddress, reason) }
        case .streamOpened(let connection, let stream, let protocolName):
            host.pointee.stream_opened?(context, connection, stream, protocolName)
        case .data(let stream, let received):
            received.bytes.withUnsafeBufferPointer { bytes in
                host.pointee.stream_data?(context, stream, bytes.baseAddress, bytes.count, received.fin ? 1 : 0)
            }
        case .writable(let stream):
            host.pointee.stream_writable?(context, stream)
        case .reset(let stream, let code):
            host.pointee.stream_reset?(context, stream, code)
        case .log(let level, let message):
            host.pointee.log?(context, level, message)
        }
    }
}

/// Bytes received on one stream during one pass of the I/O loop, coalesced into one callback.
final class ReceivedBytes {
    var bytes: [UInt8]
    var fin = false

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }
}
