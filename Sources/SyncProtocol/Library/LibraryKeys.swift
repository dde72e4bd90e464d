/// The keys a library secret derives, each under its own label so that no key can stand in for
/// another: KDF(secret, label) = BLAKE2b-256(key: secret, message: "cansync/v1 kdf " ‖ label).
/// The secret is uniformly random, so keyed BLAKE2b (a PRF) is a sound KDF for it.
public struct LibraryKeys: Sendable {
    public static let entrySigningLabel = "entry-signing"
    public static let gossipTopicLabel = "gossip-topic"
    public static let capabilityAuthLabel = "capability-auth"

    public let secret: LibrarySecret
    /// Signs every entry of the library; its public half is the library's public key, which
    /// peers verify entries against.
    public let signingKey: SigningKey
    /// The discovery gossip topic of the library: peers holding the secret meet under it
    /// without revealing the secret.
    public let gossipTopic: Bytes32
    /// The HMAC key of `CapabilityChallenge` proofs.
    public let authKey: Bytes32

    public init(secret: LibrarySecret) {
        self.secret = secret
        signingKey = SigningKey(seed: Self.derive(secret, label: Self.entrySigningLabel))
        gossipTopic = Self.derive(secret, label: Self.gossipTopicLabel)
        authKey = Self.derive(secret, label: Self.capabilityAuthLabel)
    }

    /// The library's public key (the entry-signing key's public half).
    public var publicKey: PublicKey { signingKey.publicKey }

    /// KDF(secret, label).
    public static func derive(_ secret: LibrarySecret, label: String) -> Bytes32 {
        Blake2b.hash256(Array("cansync/v1 kdf \(label)".utf8), key: secret.bytes32)
    }
}
