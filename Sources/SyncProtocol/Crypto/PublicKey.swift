import CSodium

/// An Ed25519 public key: a node id (as the transport's TLS handshake authenticates it) or a
/// library's entry-signing key. Written as 64 lowercase hex digits.
public struct PublicKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var bytes32: Bytes32

    public init(_ bytes32: Bytes32) {
        self.bytes32 = bytes32
    }

    public init?(_ bytes: some Collection<UInt8>) {
        guard let value = Bytes32(bytes) else { return nil }
        bytes32 = value
    }

    public init?(hex: String) {
        guard let value = Bytes32(hex: hex) else { return nil }
        bytes32 = value
    }

    public var bytes: [UInt8] { bytes32.bytes }
    public var hex: String { bytes32.hex }
    public var description: String { hex }

    public static func < (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.bytes32 < rhs.bytes32 }

    /// Whether `signature` is this key's Ed25519 signature over `message`.
    public func verify(_ signature: Signature, over message: [UInt8]) -> Bool {
        Sodium.ensureReady()
        let key = bytes
        return crypto_sign_verify_detached(signature.bytes, message, UInt64(message.count), key) == 0
    }
}
