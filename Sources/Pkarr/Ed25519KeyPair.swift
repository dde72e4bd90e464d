import CSodium

/// An Ed25519 signing key made from a 32-byte seed, in libsodium's layout (secret = seed ‖ public).
public struct Ed25519KeyPair: Sendable {
    public let seed: [UInt8]
    public let secretKey: [UInt8]
    public let publicKey: PkarrPublicKey

    /// The deterministic key pair of `seed` (RFC 8032; the same bytes ed25519-dalek derives).
    public init(seed: [UInt8]) {
        precondition(seed.count == Int(crypto_sign_SEEDBYTES), "an Ed25519 seed is 32 bytes")
        Sodium.ensureInitialized()
        var publicBytes = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var secret = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        crypto_sign_seed_keypair(&publicBytes, &secret, seed)
        self.seed = seed
        self.secretKey = secret
        // libsodium derived this key itself, so it is a valid point.
        self.publicKey = try! PkarrPublicKey(bytes: publicBytes)
    }

    /// A key pair from a fresh random seed.
    public static func random() -> Ed25519KeyPair {
        Sodium.ensureInitialized()
        var seed = [UInt8](repeating: 0, count: Int(crypto_sign_SEEDBYTES))
        randombytes_buf(&seed, seed.count)
        return Ed25519KeyPair(seed: seed)
    }

    /// The 64-byte detached signature of `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        crypto_sign_detached(&signature, nil, message, UInt64(message.count), secretKey)
        return signature
    }
}
