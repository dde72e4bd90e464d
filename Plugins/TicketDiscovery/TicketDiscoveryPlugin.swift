import PluginAPI

/// The ticket-files plugin's ABI surface.
enum TicketDiscoveryPlugin {
    nonisolated(unsafe) static let vtable: UnsafeMutablePointer<csync_discovery_vtable> = {
        let table = UnsafeMutablePointer<csync_discovery_vtable>.allocate(capacity: 1)
        table.initialize(to: csync_discovery_vtable(
            struct_size: UInt32(MemoryLayout<csync_discovery_vtable>.size),
            start: { state, err in
                reportingFailure(err) { try PluginState.object(state, as: TicketDiscovery.self).start() }
            },
            on_message: { _, _, _, _ in }))
        return table
    }()

    nonisolated(unsafe) static let descriptor: UnsafeMutablePointer<csync_plugin_descriptor> = {
        let descriptor = UnsafeMutablePointer<csync_plugin_descriptor>.allocate(capacity: 1)
        descriptor.initialize(to: csync_plugin_descriptor(
            abi_version: UInt32(CSYNC_PLUGIN_ABI_VERSION),
            struct_size: UInt32(MemoryLayout<csync_plugin_descriptor>.size),
            kind: CSYNC_KIND_DISCOVERY,
            name: immortalCString(TicketDiscovery.source),
            version: immortalCString("1.0.0"),
            initialize: { api, settingsJSON, out, err in
                reportingFailure(err) {
                    guard let api else { throw PluginFailure(CSYNC_ERR_INVALID, "initialize needs a host table") }
                    let host = HostServices(api)
                    let settings = try TicketSettings(PluginSettings(json: settingsJSON),
                                                      dataDirectory: host.dataDirectory, nodeIDHex: Hex.encode(host.nodeID))
                    out?.pointee = PluginState.retain(TicketDiscovery(host: host, settings: settings))
                }
            },
            shutdown: { state in
                guard let state else { return }
                PluginState.object(state, as: TicketDiscovery.self).shutdown()
                PluginState.release(state, as: TicketDiscovery.self)
            },
            transport: nil,
            discovery: UnsafePointer(vtable),
            filter: nil))
        return descriptor
    }()
}

@_cdecl("can_sync_plugin_entry")
public func canSyncPluginEntry() -> UnsafePointer<csync_plugin_descriptor> {
    UnsafePointer(TicketDiscoveryPlugin.descriptor)
}
