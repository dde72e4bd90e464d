import Foundation
import PluginHost
import TestSupport

/// Loads built plugins the way the node does, with a throwaway identity.
enum PluginTestHost {
    static let identity = NodeIdentityView(
        nodeID: NodeID(bytes: Array(repeating: 7, count: 32)), secretKey: Array(repeating: 9, count: 64),
        syncPassphrase: "", dataDirectory: NSTemporaryDirectory())

    static func instance(_ path: String, settings: String = "{}") throws -> PluginInstance {
        try PluginInstance(plugin: PluginLoader.load(path: path), settingsJSON: settings, identity: identity,
                           log: { _, _, _ in })
    }

    static let filters: PluginInstance = try! instance(BuildProducts.plugin("Filters"))
}
