import CPluginAPI
import Synchronization

/// What the host knows about itself that plugins may read.
public struct NodeIdentityView: Sendable {
    public var nodeID: NodeID
    public var secretKey: [UInt8]
    public var syncPassphrase: String
    public var dataDirectory: String

    public init(nodeID: NodeID, secretKey: [UInt8], syncPassphrase: String, dataDirectory: String) {
        self.nodeID = nodeID
        self.secretKey = secretKey
        self.syncPassphrase = syncPassphrase
        self.dataDirectory = dataDirectory
    }
}

/// One plugin's `csync_host_api` table and the Swift objects its callbacks reach.
/// Each plugin gets its own table, so every callback knows which plugin made it.
/// Tables live for the rest of the process, as the ABI promises.
public final class HostAPITable: @unchecked Sendable {
    public let pluginName: String
    public let kind: PluginKind
    let log: PluginLogHandler
    private let sinks: Mutex<(transport: TransportEventSink?, discovery: DiscoveryServices?)>
    /// The C table; stable for the life of the process.
    public let api: UnsafeMutablePointer<csync_host_api>

    public init(pluginName: String, kind: PluginKind, identity: NodeIdentityView, log: @escaping PluginLogHandler) {
        self.pluginName = pluginName
        self.kind = kind
        self.log = log
        self.sinks = Mutex((nil, nil))
        api = .allocate(capacity: 1)
        api.initialize(to: csync_host_api())
        api.pointee.struct_size = UInt32(MemoryLayout<csync_host_api>.size)
        api.pointee.node_id = Self.immortalBytes(identity.nodeID.bytes)
        api.pointee.node_secret_key = kind == .transport ? Self.immortalBytes(identity.secretKey) : nil
        api.pointee.sync_passphrase = Self.immortalString(identity.syncPassphrase)
        api.pointee.data_dir = Self.immortalString(identity.dataDirectory)
        api.pointee.host_ctx = Unmanaged.passRetained(self).toOpaque()
        installCallbacks()
    }

    /// Routes the transport callbacks of this table to `sink`.
    public func attach(transport sink: TransportEventSink) {
        sinks.withLock { $0.transport = sink }
    }

    /// Routes the discovery services of this table to `services`.
    public func attach(discovery services: DiscoveryServices) {
        sinks.withLock { $0.discovery = services }
    }

    var transport: TransportEventSink? { sinks.withLock { $0.transport } }
    var discovery: DiscoveryServices? { sinks.withLock { $0.discovery } }

    static func table(_ context: UnsafeMutableRawPointer?) -> HostAPITable {
        Unmanaged<HostAPITable>.fromOpaque(context!).takeUnretainedValue()
    }

    private static func immortalBytes(_ bytes: [UInt8]) -> UnsafePointer<UInt8> {
        let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        copy.initialize(from: bytes, count: bytes.count)
        return UnsafePointer(copy)
    }

    private static func immortalString(_ text: String) -> UnsafePointer<CChar> {
        let utf8 = Array(text.utf8CString)
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
        copy.initialize(from: utf8, count: utf8.count)
        return UnsafePointer(copy)
    }

    private func installCallbacks() {
        api.pointee.log = { context, level, message in
            let table = HostAPITable.table(context)
            table.log(table.pluginName, level, message.map { String(cString: $0) } ?? "")
        }
        api.pointee.peer_discovered = { context, id, addresses, count, source in
            guard let id else { return }
            let list = (0..<count).compactMap { addresses?[$0].map { String(cString: $0) } }
            HostAPITable.table(context).discovery?.peerDiscovered(
                NodeID(pointer: id), addresses: list, source: source.map { String(cString: $0) } ?? "")
        }
        api.pointee.local_addresses = { context, buffer, capacity in
            let text = HostAPITable.table(context).discovery?.localAddresses().joined(separator: "\n") ?? ""
            return copyOut(text, buffer, capacity)
        }
        api.pointee.subscribe_libraries = { context, callback, user in
            guard let callback else { return }
            let userBits = UInt(bitPattern: user)
            HostAPITable.table(context).discovery?.subscribeLibraries { event in
                deliver(event, to: callback, user: UnsafeMutableRawPointer(bitPattern: userBits))
            }
        }
        api.pointee.send_message = { context, id, data, length in
            let table = HostAPITable.table(context)
            guard let id, let services = table.discovery else { return CSYNC_ERR_UNSUPPORTED }
            guard length <= 64 * 1024 else { return CSYNC_ERR_INVALID }
            let bytes = length == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: length))
            return services.sendMessage(plugin: table.pluginName, to: NodeID(pointer: id), bytes)
        }
        api.pointee.connection_opened = { context, connection, id, incoming, address in
            guard let id else { return }
            HostAPITable.table(context).transport?.connectionOpened(
                connection, peer: NodeID(pointer: id), incoming: incoming != 0,
                remoteAddress: address.map { String(cString: $0) } ?? "")
        }
        api.pointee.connection_closed = { context, connection, code, reason in
            HostAPITable.table(context).transport?.connectionClosed(
                connection, code: code, reason: reason.map { String(cString: $0) } ?? "")
        }
        api.pointee.dial_failed = { context, id, reason in
            guard let id else { return }
            HostAPITable.table(context).transport?.dialFailed(
                peer: NodeID(pointer: id), reason: reason.map { String(cString: $0) } ?? "")
        }
        api.pointee.stream_opened = { context, connection, stream, name in
            HostAPITable.table(context).transport?.streamOpened(
                connection: connection, stream: stream, protocolName: name.map { String(cString: $0) } ?? "")
        }
        api.pointee.stream_data = { context, stream, data, length, fin in
            HostAPITable.table(context).transport?.streamData(
                stream: stream, UnsafeRawBufferPointer(start: data, count: length), fin: fin != 0)
        }
        api.pointee.stream_writable = { context, stream in
            HostAPITable.table(context).transport?.streamWritable(stream: stream)
        }
        api.pointee.stream_reset = { context, stream, code in
            HostAPITable.table(context).transport?.streamReset(stream: stream, code: code)
        }
    }
}

private func copyOut(_ text: String, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int) -> Int {
    let utf8 = Array(text.utf8)
    if let buffer, capacity > 0 {
        let count = min(utf8.count, capacity - 1)
        utf8.withUnsafeBufferPointer { source in
            source.baseAddress.map { UnsafeMutableRawPointer(buffer).copyMemory(from: $0, byteCount: count) }
        }
        buffer[count] = 0
    }
    return utf8.count
}

private func deliver(_ event: LibraryEvent, to callback: csync_library_event_fn,
                     user: UnsafeMutableRawPointer?) {
    let bootstrap = event.bootstrap.flatMap(\.bytes)
    event.libraryID.withCString { libraryID in
        event.topicKey.withUnsafeBufferPointer { topic in
            bootstrap.withUnsafeBufferPointer { ids in
                var cEvent = csync_library_event(
                    struct_size: UInt32(MemoryLayout<csync_library_event>.size),
                    library_id: libraryID, joined: event.joined ? 1 : 0, topic_key: topic.baseAddress,
                    bootstrap_ids: ids.baseAddress, n_bootstrap: event.bootstrap.count)
                callback(user, &cEvent)
            }
        }
    }
}
