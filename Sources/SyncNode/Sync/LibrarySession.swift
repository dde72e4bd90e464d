import Foundation
import Logging
import PluginHost
import Synchronization
import SyncProtocol

/// One library's sync with one peer, over one stream: the capability handshake, then rounds of
/// set reconciliation (on connect and periodically, started by the side that opened the
/// stream), then entries pushed as they change. No entry flows before both sides have proved
/// they hold the library secret.
final class LibrarySession: Sendable {
    let peer: NodeID
    let frames: FrameStream
    /// The node that opened the stream: sessions are deduplicated by it.
    let initiator: NodeID
    private let engine: SyncEngine
    /// The reconciliation round in progress, if any.
    private let reconciler = Mutex<Reconciler?>(nil)
    /// Set by `close()`: this node ended the session on purpose.
    private let closing = Mutex(false)
    private let logger: Logger

    static let roundInterval: Duration = .seconds(30)

    init(stream: PeerStream, initiator: NodeID, engine: SyncEngine, logger: Logger) {
        self.peer = stream.connection.peer
        self.frames = FrameStream(stream)
        self.initiator = initiator
        self.engine = engine
        self.logger = logger
    }

    /// How a session ended, which decides whether its opener tries again.
    enum Ending: Equatable {
        /// Never admitted: the handshake failed, or another session already syncs this library with this peer.
        case refused
        /// This node closed it (the library was removed, or a preferred session replaced it).
        case closed
        /// The stream failed or ended after the session was admitted, while nobody meant it to.
        case lost
    }

    /// Runs the session until the stream ends. `library` is set for the side that opened it.
    @discardableResult
    func run(opening library: Library?) async -> Ending {
        var messages = frames.messages().makeAsyncIterator()
        var admitted = false
        do {
            let (id, keys) = try await handshake(opening: library, messages: &messages)
            guard engine.register(self, library: id) else {
                frames.finish()
                return .refused
            }
            admitted = true
            defer { engine.unregister(self, library: id) }
            logger.debug("sync session with \(peer.short) for library \(id) authenticated")
            let rounds = Task { [weak self] in
                guard let self, self.initiator == self.engine.localNode else { return }
                while !Task.isCancelled {
                    self.startRound(id)
                    try? await Task.sleep(for: Self.roundInterval)
                }
            }
            defer { rounds.cancel() }
            while let message = try await messages.next() {
                try handle(message, library: id, keys: keys)
            }
        } catch let error as SyncHandshakeError {
            if let failure = error.failure { frames.send(.error(failure)) }
            logger.debug("sync handshake with \(peer.short) ended: \(error)")
        } catch {
            logger.debug("sync session with \(peer.short) ended: \(error)")
        }
        frames.finish()
        guard admitted else { return .refused }
        return closing.withLock { $0 } ? .closed : .lost
    }

    func close() {
        closing.withLock { $0 = true }
        frames.finish()
        frames.stream.reset(code: 0)
    }

    /// Queues entries for the peer: one as a push, several as batches.
    func push(_ entries: [SyncEntry]) {
        if entries.count == 1 {
            frames.send(.entryPush(entries[0]))
        } else {
            SyncMessage.entryBatches(entries).forEach(frames.send)
        }
    }

    private func handshake(opening library: Library?,
                           messages: inout AsyncThrowingStream<SyncMessage, any Error>.AsyncIterator) async throws -> (UUID, LibraryKeys) {
        let local = engine.localNode.publicKey
        var handshake = if let library {
            SyncHandshake(initiatorFor: library.id, keys: library.keys, localNode: local, remoteNode: peer.publicKey)
        } else {
            SyncHandshake(acceptorWith: local, remoteNode: peer.publicKey)
        }
        handshake.start().forEach(frames.send)
        while !handshake.isAuthenticated {
            guard let message = try await messages.next() else { throw SyncSessionError.closedDuringHandshake(peer) }
            let replies = try handshake.receive(message) { [engine] id in engine.libraries.active(id)?.keys }
            replies.forEach(frames.send)
        }
        return (handshake.libraryID!, handshake.keys!)
    }

    private func startRound(_ library: UUID) {
        let initial: ReconcileMessage? = reconciler.withLock { current in
            guard current == nil, let set = try? engine.documents.reconcileSet(library) else { return nil }
            var round = Reconciler(set: set)
            let message = round.initialMessage()
            current = round
            return message
        }
        if let initial { frames.send(.reconcile(initial)) }
    }

    private func handle(_ message: SyncMessage, library: UUID, keys: LibraryKeys) throws {
        switch message {
        case .reconcile(let incoming):
            let (reply, sendKeys) = try reconciler.withLock { current -> (ReconcileMessage?, Set<Bytes32>?) in
                var round = try current ?? Reconciler(set: engine.documents.reconcileSet(library))
                let reply = try round.respond(to: incoming)
                if reply?.expectsResponse == true {
                    current = round
                    return (reply, nil)
                }
                current = nil
                return (reply, round.sendKeys)
            }
            if let reply { frames.send(.reconcile(reply)) }
            if let sendKeys {
                let entries = try engine.documents.entries(library, hashes: sendKeys.map(\.hex))
                SyncMessage.entryBatches(entries).forEach(frames.send)
                frames.send(.done)
            }
        case .entries(let entries):
            engine.receive(entries, library: library, keys: keys, from: peer)
        case .entryPush(let entry):
            engine.receive([entry], library: library, keys: keys, from: peer)
        case .done:
            break  // the peer has sent everything this round owed; the next round starts on the timer
        case .error(let failure):
            throw SyncSessionError.peerFailed(peer, failure)
        case .hello, .proof:
            throw SyncSessionError.unexpected(peer, "a second handshake")
        }
    }
}

/// Why a sync session ended.
enum SyncSessionError: Error, CustomStringConvertible {
    case closedDuringHandshake(NodeID)
    case peerFailed(NodeID, SyncFailure)
    case unexpected(NodeID, String)

    var description: String {
        switch self {
        case .closedDuringHandshake(let peer): "node \(peer.short) closed the stream during the handshake"
        case .peerFailed(let peer, let failure): "node \(peer.short): \(failure)"
        case .unexpected(let peer, let what): "node \(peer.short) sent \(what)"
        }
    }
}
