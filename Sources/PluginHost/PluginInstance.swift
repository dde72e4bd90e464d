import CPluginAPI

/// A loaded plugin after `initialize`: its state pointer and its host table.
public final class PluginInstance: @unchecked Sendable {
    public let plugin: LoadedPlugin
    public let host: HostAPITable
    public let state: UnsafeMutableRawPointer?

    /// Calls the plugin's `initialize` with its own host table and its settings as JSON.
    public init(plugin: LoadedPlugin, settingsJSON: String, identity: NodeIdentityView, log: @escaping PluginLogHandler) throws {
        self.plugin = plugin
        self.host = HostAPITable(pluginName: plugin.name, kind: plugin.kind, identity: identity, log: log)
        var state: UnsafeMutableRawPointer?
        var error = csync_error()
        let status = plugin.descriptor.pointee.initialize(host.api, settingsJSON, &state, &error)
        guard status == CSYNC_OK else {
            throw PluginLoadError(path: plugin.path, reason: "initialize failed: \(error.text) (status \(status.rawValue))")
        }
        self.state = state
    }

    public var name: String { plugin.name }
    public var kind: PluginKind { plugin.kind }
    public var descriptor: csync_plugin_descriptor { plugin.descriptor.pointee }

    /// Stops the plugin; the library stays loaded.
    public func shutdown() {
        plugin.descriptor.pointee.shutdown?(state)
    }
}

extension csync_error {
    /// The message a plugin wrote, as a Swift string.
    public var text: String {
        var copy = self
        return withUnsafeBytes(of: &copy.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
