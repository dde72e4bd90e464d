import Foundation

/// The first message each side sends on a sync stream: which library, and this side's
/// capability-challenge nonce (see `CapabilityChallenge`).
public struct SyncHello: Equatable, Sendable {
    public var libraryID: UUID
    public var nonce: Bytes32

    public init(libraryID: UUID, nonce: Bytes32) {
        self.libraryID = libraryID
        self.nonce = nonce
    }
}
