import CSodium
import Foundation
import PluginHost

/// This node's Ed25519 keypair. Created on first run in the data directory (mode 0600) and
/// reused afterwards; the public key is the node id.
public struct NodeIdentity: Sendable {
    public let nodeID: NodeID
    /// libsodium's 64-byte secret key (seed followed by the public key).
    public let secretKey: [UInt8]

    public static let fileName = "node.key"

    /// Loads the key in `directory`, creating it (and the directory) if absent.
    public static func loadOrCreate(in directory: String) throws -> NodeIdentity {
        guard sodium_init() >= 0 else { throw IdentityError("libsodium failed to initialize") }
        let path = URL(fileURLWithPath: directory).appendingPathComponent(fileName).path
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            return try load(path: path)
        }
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        crypto_sign_keypair(&publicKey, &secretKey)
        let seed = Array(secretKey.prefix(32))
        let temporary = path + ".tmp"
        guard manager.createFile(atPath: temporary, contents: Data(seed.hexString.utf8 + [0x0a]),
                                 attributes: [.posixPermissions: 0o600]) else {
            throw IdentityError("cannot write \(temporary): check that \(directory) is writable")
        }
        guard rename(temporary, path) == 0 else {
            throw IdentityError("cannot move the new key to \(path): \(String(cString: strerror(errno)))")
        }
        return NodeIdentity(nodeID: NodeID(bytes: publicKey), secretKey: secretKey)
    }

    /// Reads a key file holding the 32-byte seed as hex.
    static func load(path: String) throws -> NodeIdentity {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw IdentityError("cannot read the node key \(path)")
        }
        guard let seed = [UInt8](hexString: text.trimmingCharacters(in: .whitespacesAndNewlines)), seed.count == 32 else {
            throw IdentityError("\(path) is not a node key (expected 64 hex digits); move it away to create a new identity")
        }
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        return NodeIdentity(nodeID: NodeID(bytes: publicKey), secretKey: secretKey)
    }
}

/// The node key could not be read or created.
public struct IdentityError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
