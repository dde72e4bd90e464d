import CPluginAPI

/// Receives what a transport plugin reports. Called on the plugin's thread: never block.
public protocol TransportEventSink: AnyObject, Sendable {
    func connectionOpened(_ connection: UInt64, peer: NodeID, incoming: Bool, remoteAddress: String)
    func connectionClosed(_ connection: UInt64, code: Int32, reason: String)
    func dialFailed(peer: NodeID, reason: String)
    func streamOpened(connection: UInt64, stream: UInt64, protocolName: String)
    /// `data` is borrowed for the duration of the call.
    func streamData(stream: UInt64, _ data: UnsafeRawBufferPointer, fin: Bool)
    func streamWritable(stream: UInt64)
    func streamReset(stream: UInt64, code: UInt64)
}

/// Serves what a discovery plugin asks of the host.
public protocol DiscoveryServices: AnyObject, Sendable {
    func peerDiscovered(_ peer: NodeID, addresses: [String], source: String)
    func localAddresses() -> [String]
    /// Must replay current memberships to `handler` at once, then report every change.
    func subscribeLibraries(_ handler: @escaping @Sendable (LibraryEvent) -> Void)
    /// Sends `data` to the plugin named `plugin` on node `peer`.
    func sendMessage(plugin: String, to peer: NodeID, _ data: [UInt8]) -> csync_status
}

/// A library membership change, as handed to discovery plugins.
public struct LibraryEvent: Sendable {
    public var libraryID: String
    public var joined: Bool
    public var topicKey: [UInt8]
    public var bootstrap: [NodeID]

    public init(libraryID: String, joined: Bool, topicKey: [UInt8], bootstrap: [NodeID]) {
        self.libraryID = libraryID
        self.joined = joined
        self.topicKey = topicKey
        self.bootstrap = bootstrap
    }
}

/// Where plugin log lines go.
public typealias PluginLogHandler = @Sendable (_ plugin: String, _ level: csync_log_level, _ message: String) -> Void
