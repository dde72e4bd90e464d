import Foundation

/// The opening of a sync stream, as a pure state machine: hellos with nonces, then capability
/// proofs, so that no library data flows before both sides have proved they hold the secret.
///
///     initiator → hello(library, nonceI)
///     acceptor  → hello(library, nonceA), proof(acceptor)   (after looking the library up)
///     initiator → proof(initiator)                          (after verifying the acceptor's)
///
/// The initiator is authenticated once it has verified the acceptor's proof and sent its own;
/// the acceptor once it has verified the initiator's. Feed every received message to
/// `receive` and send what it returns; on a thrown `SyncHandshakeError`, send its `failure`
/// (if any) and close the stream.
public struct SyncHandshake: Sendable {
    /// Which end of the connection this side is.
    public enum Role: Sendable, Equatable {
        case initiator
        case acceptor
    }

    private enum State: Sendable {
        case awaitingHello
        case awaitingProof(CapabilityChallenge, remoteNonce: Bytes32, LibraryKeys)
        case authenticated
    }

    public let role: Role
    public let localNode: PublicKey
    public let remoteNode: PublicKey
    public let nonce: Bytes32
    /// Set on the initiator from the start, on the acceptor once the peer's hello arrives.
    public private(set) var libraryID: UUID?
    /// The library's keys, once known.
    public private(set) var keys: LibraryKeys?
    private var state: State = .awaitingHello

    /// The dialing side, which names the library. `localNode`/`remoteNode` are the ids the
    /// transport authenticated; pass `nonce` only for test vectors.
    public init(initiatorFor libraryID: UUID, keys: LibraryKeys, localNode: PublicKey, remoteNode: PublicKey,
                nonce: Bytes32 = .random()) {
        role = .initiator
        self.libraryID = libraryID
        self.keys = keys
        self.localNode = localNode
        self.remoteNode = remoteNode
        self.nonce = nonce
    }

    /// The accepting side, which learns the library from the peer's hello.
    public init(acceptorWith localNode: PublicKey, remoteNode: PublicKey, nonce: Bytes32 = .random()) {
        role = .acceptor
        self.localNode = localNode
        self.remoteNode = remoteNode
        self.nonce = nonce
    }

    /// True once this side may exchange library data on the stream.
    public var isAuthenticated: Bool {
        if case .authenticated = state { return true }
        return false
    }

    /// What to send first: the initiator's hello (the acceptor sends nothing until it hears one).
    public func start() -> [SyncMessage] {
        guard role == .initiator, let libraryID else { return [] }
        return [.hello(SyncHello(libraryID: libraryID, nonce: nonce))]
    }

    /// Processes one received message; returns the messages to send in reply. `libraries`
    /// looks up a library's keys by id (the acceptor's only use of it).
    public mutating func receive(_ message: SyncMessage, libraries: (UUID) -> LibraryKeys?) throws -> [SyncMessage] {
        if case .error(let failure) = message {
            throw SyncHandshakeError.peerAborted(failure, peer: remoteNode)
        }
        switch (state, message) {
        case (.awaitingHello, .hello(let hello)):
            return try receiveHello(hello, libraries: libraries)
        case (.awaitingProof(let challenge, let remoteNonce, let keys), .proof(let proof)):
            guard challenge.verify(proof, keys: keys, remoteNonce: remoteNonce) else {
                throw SyncHandshakeError.authenticationFailed(challenge.libraryID, peer: remoteNode)
            }
            state = .authenticated
            return role == .initiator ? [.proof(challenge.proof(keys: keys, remoteNonce: remoteNonce))] : []
        default:
            throw SyncHandshakeError.unexpectedMessage("\(Self.name(of: message)) message", peer: remoteNode)
        }
    }

    private mutating func receiveHello(_ hello: SyncHello, libraries: (UUID) -> LibraryKeys?) throws -> [SyncMessage] {
        switch role {
        case .initiator:
            guard let libraryID, let keys else { return [] }
            guard hello.libraryID == libraryID else {
                throw SyncHandshakeError.wrongLibrary(expected: libraryID, received: hello.libraryID, peer: remoteNode)
            }
            state = .awaitingProof(challenge(libraryID), remoteNonce: hello.nonce, keys)
            return []
        case .acceptor:
            guard let keys = libraries(hello.libraryID) else {
                throw SyncHandshakeError.unknownLibrary(hello.libraryID, peer: remoteNode)
            }
            libraryID = hello.libraryID
            self.keys = keys
            let challenge = challenge(hello.libraryID)
            state = .awaitingProof(challenge, remoteNonce: hello.nonce, keys)
            return [.hello(SyncHello(libraryID: hello.libraryID, nonce: nonce)),
                    .proof(challenge.proof(keys: keys, remoteNonce: hello.nonce))]
        }
    }

    private func challenge(_ libraryID: UUID) -> CapabilityChallenge {
        CapabilityChallenge(libraryID: libraryID, localNode: localNode, remoteNode: remoteNode, localNonce: nonce)
    }

    static func name(of message: SyncMessage) -> String {
        switch message {
        case .hello: return "hello"
        case .proof: return "proof"
        case .reconcile: return "reconcile"
        case .entries: return "entries"
        case .entryPush: return "entry push"
        case .done: return "done"
        case .error: return "error"
        }
    }
}
