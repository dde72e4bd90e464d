import Foundation

/// Why a sync stream's handshake failed. `failure` is what to send the peer (as
/// `SyncMessage.error`) before closing the stream; `description` is for the log.
public enum SyncHandshakeError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownLibrary(UUID, peer: PublicKey)
    case wrongLibrary(expected: UUID, received: UUID, peer: PublicKey)
    case authenticationFailed(UUID, peer: PublicKey)
    case unexpectedMessage(String, peer: PublicKey)
    case peerAborted(SyncFailure, peer: PublicKey)

    /// The message for the peer, or nil when the peer aborted first.
    public var failure: SyncFailure? {
        switch self {
        case .unknownLibrary(let id, _):
            return SyncFailure(.unknownLibrary, "this node does not hold library \(id.uuidString.lowercased())")
        case .wrongLibrary(let expected, let received, _):
            return SyncFailure(.protocolViolation, "hello for library \(received.uuidString.lowercased()) on a stream for \(expected.uuidString.lowercased())")
        case .authenticationFailed(let id, _):
            return SyncFailure(.authenticationFailed, "capability proof for library \(id.uuidString.lowercased()) did not verify")
        case .unexpectedMessage(let what, _):
            return SyncFailure(.protocolViolation, "unexpected \(what) during the handshake")
        case .peerAborted:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .unknownLibrary(let id, let peer):
            return "node \(peer.hex) asked to sync library \(id.uuidString.lowercased()), which this node does not hold: refused"
        case .wrongLibrary(let expected, let received, let peer):
            return "node \(peer.hex) answered for library \(received.uuidString.lowercased()) instead of \(expected.uuidString.lowercased()): stream closed"
        case .authenticationFailed(let id, let peer):
            return "node \(peer.hex) failed the capability proof for library \(id.uuidString.lowercased()): it does not hold the library secret (a revoked or forged ticket); refused"
        case .unexpectedMessage(let what, let peer):
            return "node \(peer.hex) sent \(what) during the handshake: protocol violation, stream closed"
        case .peerAborted(let failure, let peer):
            return "node \(peer.hex) aborted the handshake (code \(failure.code.rawValue)): \(failure.message)"
        }
    }
}
