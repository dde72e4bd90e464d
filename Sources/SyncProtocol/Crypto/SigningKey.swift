import CSodium

/// An Ed25519 keypair that signs: a node's identity key or a library's entry-signing key.
/// The secret half never appears in `description`.
public struct SigningKey: Sendable, CustomStringConvertible {
    /// libsodium's 64-byte secret key (seed ‖ public key).
    private let secretKey: [UInt8]
    public let publicKey: PublicKey

    /// The keypair whose 32-byte seed is `seed` (deterministic: the same seed, the same keys).
    public init(seed: Bytes32) {
        Sodium.ensureReady()
        var publicBytes = [UInt8](repeating: 0, count: 32)
        var secret = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_seed_keypair(&publicBytes, &secret, seed.bytes)
        self.secretKey = secret
        self.publicKey = PublicKey(publicBytes)!
    }

    /// A keypair from libsodium's 64-byte secret key format (seed ‖ public key), as nodes that
    /// store their identity that way hold it; nil unless it is 64 bytes and self-consistent.
    public init?(libsodiumSecretKey bytes: [UInt8]) {
        guard bytes.count == 64, let seed = Bytes32(bytes[0..<32]) else { return nil }
        self.init(seed: seed)
        guard publicKey.bytes == Array(bytes[32..<64]) else { return nil }
    }

    /// A fresh random keypair.
    public static func generate() -> SigningKey {
        SigningKey(seed: .random())
    }

    /// The 32-byte seed this keypair derives from.
    public var seed: Bytes32 { Bytes32(secretKey[0..<32])! }

    /// Ed25519 signature over `message` (deterministic, libsodium `crypto_sign_detached`).
    public func sign(_ message: [UInt8]) -> Signature {
        var signature = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_detached(&signature, nil, message, UInt64(message.count), secretKey)
        return Signature(signature)!
    }

    public var description: String { "SigningKey(public: \(publicKey.hex))" }
}
