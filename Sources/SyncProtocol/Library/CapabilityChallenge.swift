import Foundation

/// Challenge–response by which each side of a sync connection proves it holds the library
/// secret without revealing it.
///
/// Both sides send a fresh random 32-byte nonce (in `SyncMessage.hello`); each then sends
///
///     proof = HMAC-SHA-256(authKey, domain ‖ libraryID(16) ‖ proverNonce ‖ verifierNonce
///                                   ‖ proverNodeID ‖ verifierNodeID)
///
/// The transport's TLS handshake authenticates both node ids, so the proof is bound to this
/// connection and this direction: it cannot be replayed on another connection (fresh nonces),
/// reflected back to its sender (prover and verifier swap), or used for another library.
public struct CapabilityChallenge: Sendable {
    public static let domain = "cansync/v1 capability proof"

    public let libraryID: UUID
    public let localNode: PublicKey
    public let remoteNode: PublicKey
    /// This side's nonce: send it to the peer, and never reuse it.
    public let localNonce: Bytes32

    /// `localNode` and `remoteNode` must be the ids the transport authenticated for this
    /// connection; `localNonce` defaults to fresh random bytes (pass one only for test vectors).
    public init(libraryID: UUID, localNode: PublicKey, remoteNode: PublicKey, localNonce: Bytes32 = .random()) {
        self.libraryID = libraryID
        self.localNode = localNode
        self.remoteNode = remoteNode
        self.localNonce = localNonce
    }

    /// This side's proof for the peer, once the peer's nonce has arrived.
    public func proof(keys: LibraryKeys, remoteNonce: Bytes32) -> Bytes32 {
        HMAC.sha256(key: keys.authKey, message: Self.message(
            libraryID: libraryID, proverNonce: localNonce, verifierNonce: remoteNonce,
            prover: localNode, verifier: remoteNode))
    }

    /// Whether the peer's `proof` shows it holds the secret behind `keys` (constant time).
    public func verify(_ proof: Bytes32, keys: LibraryKeys, remoteNonce: Bytes32) -> Bool {
        HMAC.verifySHA256(proof, key: keys.authKey, message: Self.message(
            libraryID: libraryID, proverNonce: remoteNonce, verifierNonce: localNonce,
            prover: remoteNode, verifier: localNode))
    }

    /// The authenticated bytes (exposed for test vectors).
    public static func message(libraryID: UUID, proverNonce: Bytes32, verifierNonce: Bytes32,
                               prover: PublicKey, verifier: PublicKey) -> [UInt8] {
        var writer = ByteWriter(capacity: 160)
        writer.raw(Array(domain.utf8))
        writer.raw(libraryID.bytes)
        writer.bytes32(proverNonce)
        writer.bytes32(verifierNonce)
        writer.bytes32(prover.bytes32)
        writer.bytes32(verifier.bytes32)
        return writer.bytes
    }
}
