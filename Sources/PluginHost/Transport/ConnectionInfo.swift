/// Counters of one live connection.
public struct ConnectionInfo: Sendable, Equatable {
    public var peer: NodeID
    public var remoteAddress: String
    /// Smoothed round-trip time in microseconds.
    public var rttMicroseconds: UInt64
    public var bytesSent: UInt64
    public var bytesReceived: UInt64
}
