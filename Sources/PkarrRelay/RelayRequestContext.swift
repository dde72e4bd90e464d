import Hummingbird
import NIOCore

/// Request context that remembers the peer address, so admin endpoints can insist on loopback.
public struct RelayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Whether the request came from this machine.
    var isLoopback: Bool {
        switch remoteAddress {
        case .v4(let address)?: address.address.sin_addr.s_addr.bigEndian >> 24 == 127
        case .v6?: remoteAddress?.ipAddress == "::1"
        default: false
        }
    }
}
