import CSodium
import Foundation
import PluginHost
import TestSupport
import XCTest

/// A quic transport plugin instance in this process with its own fresh Ed25519 identity, bound
/// to a free loopback port.
final class TransportTestNode: @unchecked Sendable {
    let transport: PeerTransport
    let nodeID: NodeID
    let address: String

    init(settings: [String: Any] = [:]) throws {
        var publicKey = [UInt8](repeating: 0, count: 32)
        var secretKey = [UInt8](repeating: 0, count: 64)
        crypto_sign_keypair(&publicKey, &secretKey)
        nodeID = NodeID(bytes: publicKey)
        let plugin = try PluginLoader.load(path: BuildProducts.plugin("QuicTransport"))
        var merged: [String: Any] = ["bind": "127.0.0.1:0"]
        merged.merge(settings) { $1 }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: merged), as: UTF8.self)
        let identity = NodeIdentityView(nodeID: nodeID, secretKey: secretKey, syncPassphrase: "",
                                        dataDirectory: FileManager.default.temporaryDirectory.path)
        let instance = try PluginInstance(plugin: plugin, settingsJSON: json, identity: identity) { _, level, message in
            if level.rawValue >= 2 || ProcessInfo.processInfo.environment["QUIC_TEST_DEBUG"] != nil { print("[quic \(level.rawValue)] \(message)") }
        }
        transport = try PeerTransport(instance)
        try transport.start()
        address = transport.localAddresses().first ?? ""
    }

    func shutdown() {
        transport.shutdown()
    }
}


extension XCTestCase {
    /// A node that is shut down when the test ends.
    func makeNode(_ settings: [String: Any] = [:]) throws -> TransportTestNode {
        let node = try TransportTestNode(settings: settings)
        addTeardownBlock { node.shutdown() }
        return node
    }

    /// Serves the echo protocol: every byte read is written back, and FIN is echoed.
    func serveEcho(on node: TransportTestNode, protocol name: String = "test/echo/1") {
        node.transport.handle(protocol: name) { stream in
            do {
                while let chunk = try await stream.read() { try await stream.write(chunk) }
                try stream.finish()
            } catch {
                print("echo stream ended: \(error)")
            }
        }
    }
}
