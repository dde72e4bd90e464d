import CPluginAPI
import Foundation
import Pkarr
import PluginHost
import TestSupport

/// One libPkarrDiscovery.so instance, loaded with dlopen, with its own node identity and the host
/// services it reports discovered peers to.
struct PkarrPluginNode {
    let id: NodeID
    let instance: PluginInstance
    let services: RecordingDiscoveryServices

    /// Loads the plugin, initializes it with `settingsJSON` and starts it.
    static func start(settingsJSON: String, passphrase: String, addresses: [String], directory: TemporaryDirectory,
                      log: @escaping PluginLogHandler) throws -> PkarrPluginNode {
        let plugin = try PluginLoader.load(path: BuildProducts.plugin("PkarrDiscovery"))
        let keyPair = Ed25519KeyPair.random()
        let id = NodeID(bytes: keyPair.publicKey.bytes)
        let identity = NodeIdentityView(nodeID: id, secretKey: keyPair.secretKey, syncPassphrase: passphrase,
                                        dataDirectory: directory.path)
        let instance = try PluginInstance(plugin: plugin, settingsJSON: settingsJSON, identity: identity, log: log)
        let services = RecordingDiscoveryServices(addresses: addresses)
        instance.host.attach(discovery: services)
        var error = csync_error()
        guard instance.descriptor.discovery.pointee.start(instance.state, &error) == CSYNC_OK else {
            instance.shutdown()
            throw StartFailed(message: error.text)
        }
        return PkarrPluginNode(id: id, instance: instance, services: services)
    }

    /// The plugin's start function failed; `message` is what it reported.
    struct StartFailed: Error, CustomStringConvertible {
        let message: String
        var description: String { "pkarr plugin did not start: \(message)" }
    }
}

extension SignedPacket {
    /// The node id the packet's `_can-sync` TXT records announce, if any.
    var announcedNodeID: String? {
        records(named: "_can-sync").compactMap(\.data.text).first { $0.hasPrefix("id=") }.map { String($0.dropFirst(3)) }
    }
}
