import CPluginAPI
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The sync engine's view of a transport plugin: authenticated connections to node ids, and
/// streams on them routed to handlers by protocol tag. It receives the plugin's callbacks
/// (`TransportEventSink`) and turns them into async calls and an event stream.
public final class PeerTransport: TransportEventSink, @unchecked Sendable {
    /// The stream reset code sent for a stream whose protocol has no handler.
    public static let unknownProtocolCode: UInt64 = 0x1

    public let instance: PluginInstance
    let vtable: csync_transport_vtable
    let state: UnsafeMutableRawPointer?
    /// Connections opening and closing; the host tracks its peers with it. Iterate it from one task
    /// only (it is a single-consumer stream); it ends at shutdown().
    public let events: AsyncStream<ConnectionEvent>
    private let eventSink: AsyncStream<ConnectionEvent>.Continuation

    private struct Tables {
        var connections: [UInt64: PeerConnection] = [:]
        var byPeer: [NodeID: PeerConnection] = [:]
        var streams: [UInt64: PeerStream] = [:]
        var dialWaiters: [NodeID: [CheckedContinuation<PeerConnection, any Error>]] = [:]
        var handlers: [String: @Sendable (PeerStream) async -> Void] = [:]
    }

    private let tables = Mutex(Tables())
    private let stopped = Mutex(false)

    /// Wraps a loaded transport plugin and routes its callbacks here.
    public init(_ instance: PluginInstance) throws {
        guard instance.kind == .transport, let table = instance.descriptor.transport else {
            throw PluginLoadError(path: instance.plugin.path, reason: "is a \(instance.kind.rawValue) plugin, not a transport")
        }
        self.instance = instance
        self.vtable = table.pointee
        self.state = instance.state
        (events, eventSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        instance.host.attach(transport: self)
    }

    /// Binds the plugin's socket(s) and starts its I/O.
    public func start() throws {
        var error = csync_error()
        let status = vtable.start(state, &error)
        guard status == CSYNC_OK else {
            throw TransportError.plugin(operation: "start", status: status.rawValue, message: error.text)
        }
    }

    /// The addresses the transport listens on.
    public func localAddresses() -> [String] {
        guard !isStopped else { return [] }
        var capacity = 256
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            let needed = vtable.local_addresses(state, &buffer, capacity)
            if needed < capacity {
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                return text.split(separator: "\n").map(String.init)
            }
            capacity = needed + 1
        }
    }

    /// The connection to `peer`, dialing `addresses` (raced) if there is none. Fails with
    /// `TransportError.dialFailed` when no address answers with the peer's key.
    public func connect(to peer: NodeID, addresses: [String]) async throws -> PeerConnection {
        if let existing = connection(to: peer) { return existing }
        guard !isStopped else { throw TransportError.dialFailed(peer: peer, reason: "the transport shut down") }
        return try await withCheckedThrowingContinuation { continuation in
            tables.withLock { $0.dialWaiters[peer, default: []].append(continuation) }
            var error = csync_error()
            let copies = addresses.map { strdup($0) }
            defer { copies.forEach { free($0) } }
            let list: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
            let status = list.withUnsafeBufferPointer { list in
                peer.bytes.withUnsafeBufferPointer { id in
                    vtable.dial(state, id.baseAddress, list.baseAddress, addresses.count, &error)
                }
            }
            if status != CSYNC_OK {
                let waiters = tables.withLock { $0.dialWaiters.removeValue(forKey: peer) ?? [] }
                let failure = TransportError.plugin(operation: "dial", status: status.rawValue, message: error.text)
                for waiter in waiters { waiter.resume(throwing: failure) }
            }
        }
    }

    /// The open connection to `peer`, if any.
    public func connection(to peer: NodeID) -> PeerConnection? {
        tables.withLock { $0.byPeer[peer] }
    }

    /// Every open connection.
    public var connections: [PeerConnection] {
        tables.withLock { Array($0.connections.values) }
    }

    /// Runs `handler` (in a new task) for every stream a peer opens with tag `name`. Streams with
    /// tags nobody handles are reset with `unknownProtocolCode`.
    public func handle(protocol name: String, _ handler: @escaping @Sendable (PeerStream) async -> Void) {
        tables.withLock { $0.handlers[name] = handler }
    }

    /// Stops the plugin: every connection closes and its streams fail. Later calls do nothing.
    public func shutdown() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        instance.shutdown()
        let (connections, streams, waiters) = tables.withLock { tables in
            defer { tables = Tables() }
            return (Array(tables.connections.values), Array(tables.streams.values), tables.dialWaiters)
        }
        for connection in connections {
            connection.markClosed(code: CSYNC_ERR_CLOSED.rawValue, reason: "the transport shut down")
            eventSink.yield(.closed(connection, code: CSYNC_ERR_CLOSED.rawValue, reason: "the transport shut down"))
        }
        for stream in streams {
            stream.failed(stream.connection.closedError
                ?? .connectionClosed(peer: stream.connection.peer, code: CSYNC_ERR_CLOSED.rawValue, reason: "the transport shut down"))
        }
        for (peer, list) in waiters {
            for waiter in list { waiter.resume(throwing: TransportError.dialFailed(peer: peer, reason: "the transport shut down")) }
        }
        eventSink.finish()
    }

    /// Whether shutdown() ran: the plugin's state is gone and must not be called.
    var isStopped: Bool { stopped.withLock { $0 } }

    func openStream(on connection: PeerConnection, protocolName: String) throws -> PeerStream {
        // The table lock is held across open_stream so the stream is known before any of its callbacks.
        guard !isStopped else {
            throw TransportError.connectionClosed(peer: connection.peer, code: CSYNC_ERR_CLOSED.rawValue, reason: "the transport shut down")
        }
        return try tables.withLock { tables in
            var handle: UInt64 = 0
            var error = csync_error()
            let status = vtable.open_stream(state, connection.id, protocolName, &handle, &error)
            guard status == CSYNC_OK else {
                throw connection.closedError
                    ?? TransportError.plugin(operation: "open_stream", status: status.rawValue, message: error.text)
            }
            let stream = PeerStream(id: handle, protocolName: protocolName, connection: connection)
            tables.streams[handle] = stream
            return stream
        }
    }

    func forget(stream: UInt64) {
        _ = tables.withLock { $0.streams.removeValue(forKey: stream) }
    }

    // MARK: TransportEventSink

    public func connectionOpened(_ connection: UInt64, peer: NodeID, incoming: Bool, remoteAddress: String) {
        let (opened, isNew, waiters) = tables.withLock { tables in
            let existing = tables.connections[connection]
            let opened = existing ?? PeerConnection(id: connection, peer: peer, remoteAddress: remoteAddress,
                                                    incoming: incoming, transport: self)
            tables.connections[connection] = opened
            tables.byPeer[peer] = opened
            return (opened, existing == nil, tables.dialWaiters.removeValue(forKey: peer) ?? [])
        }
        if isNew { eventSink.yield(.opened(opened)) }
        for waiter in waiters { waiter.resume(returning: opened) }
    }

    public func connectionClosed(_ connection: UInt64, code: Int32, reason: String) {
        let (closed, streams) = tables.withLock { tables -> (PeerConnection?, [PeerStream]) in
            guard let closed = tables.connections.removeValue(forKey: connection) else { return (nil, []) }
            if tables.byPeer[closed.peer] === closed { tables.byPeer[closed.peer] = nil }
            let streams = tables.streams.values.filter { $0.connection === closed }
            for stream in streams { tables.streams[stream.id] = nil }
            return (closed, streams)
        }
        guard let closed else { return }
        closed.markClosed(code: code, reason: reason)
        let error = closed.closedError!
        for stream in streams { stream.failed(error) }
        eventSink.yield(.closed(closed, code: code, reason: reason))
    }

    public func dialFailed(peer: NodeID, reason: String) {
        let waiters = tables.withLock { $0.dialWaiters.removeValue(forKey: peer) ?? [] }
        for waiter in waiters { waiter.resume(throwing: TransportError.dialFailed(peer: peer, reason: reason)) }
    }

    public func streamOpened(connection: UInt64, stream: UInt64, protocolName: String) {
        let (opened, handler) = tables.withLock { tables -> (PeerStream?, (@Sendable (PeerStream) async -> Void)?) in
            guard let owner = tables.connections[connection] else { return (nil, nil) }
            let handler = tables.handlers[protocolName]
            guard handler != nil else { return (nil, nil) }
            let opened = PeerStream(id: stream, protocolName: protocolName, connection: owner)
            tables.streams[stream] = opened
            return (opened, handler)
        }
        guard let opened, let handler else {
            _ = vtable.reset_stream(state, stream, Self.unknownProtocolCode)
            return
        }
        Task { await handler(opened) }
    }

    public func streamData(stream: UInt64, _ data: UnsafeRawBufferPointer, fin: Bool) {
        guard let target = tables.withLock({ $0.streams[stream] }) else {
            // Nobody will read it: give the credit back so the connection does not stall.
            if !data.isEmpty { vtable.consume(state, stream, data.count) }
            return
        }
        target.received(data, fin: fin)
    }

    public func streamWritable(stream: UInt64) {
        tables.withLock { $0.streams[stream] }?.writable()
    }

    public func streamReset(stream: UInt64, code: UInt64) {
        let target = tables.withLock { $0.streams.removeValue(forKey: stream) }
        target?.failed(.streamReset(stream: stream, code: code))
    }
}
