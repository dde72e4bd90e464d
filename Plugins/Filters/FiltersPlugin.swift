import Foundation
import PluginAPI

/// The built-in filter plugin's ABI surface: compile, match and release `AssetFilter`s.
enum FiltersPlugin {
    nonisolated(unsafe) static let vtable = immortal(csync_filter_vtable(
        struct_size: UInt32(MemoryLayout<csync_filter_vtable>.size),
        fields: immortalCStringArray(AssetFilter.fields),
        compile: { _, json, out, err in
            reportingFailure(err) {
                let object: [String: JSONValue]
                do {
                    object = try JSONDecoder().decode([String: JSONValue].self, from: Data(String(cString: json!).utf8))
                } catch {
                    throw PluginFailure(CSYNC_ERR_INVALID, "filter must be a JSON object")
                }
                out?.pointee = PluginState.retain(try AssetFilter(object))
            }
        },
        matches: { _, filter, asset in
            guard let filter, let asset else { return 0 }
            let compiled = Unmanaged<AssetFilter>.fromOpaque(filter).takeUnretainedValue()
            return compiled.matches(asset.pointee) ? 1 : 0
        },
        release: { _, filter in
            PluginState.release(filter, as: AssetFilter.self)
        }))

    nonisolated(unsafe) static let descriptor = immortal(csync_plugin_descriptor(
        abi_version: UInt32(CSYNC_PLUGIN_ABI_VERSION),
        struct_size: UInt32(MemoryLayout<csync_plugin_descriptor>.size),
        kind: CSYNC_KIND_FILTER,
        name: immortalCString("filters"),
        version: immortalCString("1.0.0"),
        initialize: { _, settings, out, err in
            reportingFailure(err) {
                try PluginSettings(json: settings).rejectUnknownKeys([])
                out?.pointee = nil
            }
        },
        shutdown: { _ in },
        transport: nil,
        discovery: nil,
        filter: vtable))
}

@_cdecl("can_sync_plugin_entry")
public func canSyncPluginEntry() -> UnsafePointer<csync_plugin_descriptor> {
    FiltersPlugin.descriptor
}
