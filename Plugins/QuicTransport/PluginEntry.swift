import PluginAPI

/// The quic transport's descriptor and vtable, handed to the host by `can_sync_plugin_entry`.
enum QuicTransportPlugin {
    nonisolated(unsafe) static let vtable: UnsafeMutablePointer<csync_transport_vtable> = {
        let table = UnsafeMutablePointer<csync_transport_vtable>.allocate(capacity: 1)
        table.initialize(to: csync_transport_vtable(
            struct_size: UInt32(MemoryLayout<csync_transport_vtable>.size),
            start: { state, err in
                reportingFailure(err) { try endpoint(state).start() }
            },
            local_addresses: { state, buffer, capacity in
                let text = Array(endpoint(state).localAddressList().joined(separator: "\n").utf8)
                if let buffer, capacity > 0 {
                    let count = min(text.count, capacity - 1)
                    for index in 0..<count { buffer[index] = CChar(bitPattern: text[index]) }
                    buffer[count] = 0
                }
                return text.count
            },
            dial: { state, peer, addresses, count, err in
                reportingFailure(err) {
                    guard let peer else { throw PluginFailure(CSYNC_ERR_INVALID, "dial: peer_id is NULL") }
                    let id = Array(UnsafeBufferPointer(start: peer, count: 32))
                    let list = (0..<count).compactMap { addresses?[$0].map { String(cString: $0) } }
                    let endpoint = endpoint(state)
                    try endpoint.lock.withLock { try endpoint.dial(id, addresses: list) }
                }
            },
            open_stream: { state, connection, name, out, err in
                reportingFailure(err) {
                    guard let out else { throw PluginFailure(CSYNC_ERR_INVALID, "open_stream: out_stream is NULL") }
                    let endpoint = endpoint(state)
                    let tag = name.map { String(cString: $0) } ?? ""
                    out.pointee = try endpoint.lock.withLock { try endpoint.openStream(on: connection, protocolName: tag) }
                }
            },
            write: { state, stream, data, length, fin in
                let endpoint = endpoint(state)
                let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length)
                return endpoint.lock.withLock { endpoint.write(stream, bytes, fin: fin != 0) }
            },
            consume: { state, stream, count in
                let endpoint = endpoint(state)
                endpoint.lock.withLock { endpoint.consume(stream, count) }
            },
            reset_stream: { state, stream, code in
                let endpoint = endpoint(state)
                return reportingFailure(nil) { try endpoint.lock.withLock { try endpoint.resetStream(stream, code: code) } }
            },
            close_connection: { state, connection, code, reason in
                let endpoint = endpoint(state)
                let text = reason.map { String(cString: $0) } ?? ""
                return reportingFailure(nil) {
                    try endpoint.lock.withLock { try endpoint.closeConnection(connection, code: code, reason: text) }
                }
            },
            connection_info: { state, connection, out in
                guard let out else { return CSYNC_ERR_INVALID }
                let endpoint = endpoint(state)
                return reportingFailure(nil) { try endpoint.lock.withLock { try endpoint.info(connection, into: out) } }
            }))
        return table
    }()

    nonisolated(unsafe) static let descriptor: UnsafeMutablePointer<csync_plugin_descriptor> = {
        let descriptor = UnsafeMutablePointer<csync_plugin_descriptor>.allocate(capacity: 1)
        descriptor.initialize(to: csync_plugin_descriptor(
            abi_version: UInt32(CSYNC_PLUGIN_ABI_VERSION),
            struct_size: UInt32(MemoryLayout<csync_plugin_descriptor>.size),
            kind: CSYNC_KIND_TRANSPORT,
            name: immortalCString("quic"),
            version: immortalCString("1.0.0"),
            initialize: { host, settingsJSON, out, err in
                reportingFailure(err) {
                    guard let host, let out else { throw PluginFailure(CSYNC_ERR_INVALID, "initialize: host or out_state is NULL") }
                    let settings = try QuicSettings(PluginSettings(json: settingsJSON))
                    out.pointee = PluginState.retain(try QuicEndpoint(host: host, settings: settings))
                }
            },
            shutdown: { state in
                guard let state else { return }
                endpoint(state).shutdown()
                PluginState.release(state, as: QuicEndpoint.self)
            },
            transport: UnsafePointer(vtable),
            discovery: nil,
            filter: nil))
        return descriptor
    }()

    static func endpoint(_ state: UnsafeMutableRawPointer?) -> QuicEndpoint {
        PluginState.object(state, as: QuicEndpoint.self)
    }
}

/// The plugin's one exported symbol.
@_cdecl("can_sync_plugin_entry")
public func canSyncPluginEntry() -> UnsafePointer<csync_plugin_descriptor> {
    UnsafePointer(QuicTransportPlugin.descriptor)
}
