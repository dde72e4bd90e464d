import PluginAPI

/// The gossip plugin's ABI surface.
enum GossipDiscoveryPlugin {
    nonisolated(unsafe) static let vtable: UnsafeMutablePointer<csync_discovery_vtable> = {
        let table = UnsafeMutablePointer<csync_discovery_vtable>.allocate(capacity: 1)
        table.initialize(to: csync_discovery_vtable(
            struct_size: UInt32(MemoryLayout<csync_discovery_vtable>.size),
            start: { state, err in
                reportingFailure(err) { PluginState.object(state, as: GossipDiscovery.self).start() }
            },
            on_message: { state, from, data, length in
                guard let state, let from else { return }
                let bytes = length == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: length))
                PluginState.object(state, as: GossipDiscovery.self)
                    .received(from: Array(UnsafeBufferPointer(start: from, count: 32)), bytes)
            }))
        return table
    }()

    nonisolated(unsafe) static let descriptor: UnsafeMutablePointer<csync_plugin_descriptor> = {
        let descriptor = UnsafeMutablePointer<csync_plugin_descriptor>.allocate(capacity: 1)
        descriptor.initialize(to: csync_plugin_descriptor(
            abi_version: UInt32(CSYNC_PLUGIN_ABI_VERSION),
            struct_size: UInt32(MemoryLayout<csync_plugin_descriptor>.size),
            kind: CSYNC_KIND_DISCOVERY,
            name: immortalCString(GossipDiscovery.source),
            version: immortalCString("1.0.0"),
            initialize: { api, settingsJSON, out, err in
                reportingFailure(err) {
                    guard let api else { throw PluginFailure(CSYNC_ERR_INVALID, "initialize needs a host table") }
                    let settings = try GossipSettings(PluginSettings(json: settingsJSON))
                    out?.pointee = PluginState.retain(GossipDiscovery(host: HostServices(api), settings: settings))
                }
            },
            shutdown: { state in
                guard let state else { return }
                PluginState.object(state, as: GossipDiscovery.self).shutdown()
                PluginState.release(state, as: GossipDiscovery.self)
            },
            transport: nil,
            discovery: UnsafePointer(vtable),
            filter: nil))
        return descriptor
    }()
}

@_cdecl("can_sync_plugin_entry")
public func canSyncPluginEntry() -> UnsafePointer<csync_plugin_descriptor> {
    UnsafePointer(GossipDiscoveryPlugin.descriptor)
}
