import Foundation
import Logging
import PluginHost
import Synchronization
import SyncProtocol

/// Keeps every library's document identical with every connected peer that holds the library:
/// opens a sync session per (peer, library), applies verified entries from peers, and pushes
/// entries that change a document to every other session of that library.
final class SyncEngine: Sendable {
    let localNode: NodeID
    let libraries: LibraryRegistry
    let documents: DocumentStore
    private let clock: EntryClock
    private let logger: Logger
    private let sessions = Mutex<[SessionKey: LibrarySession]>([:])

    struct SessionKey: Hashable {
        var peer: NodeID
        var library: UUID
    }

    init(localNode: NodeID, libraries: LibraryRegistry, documents: DocumentStore, clock: EntryClock, logger: Logger) {
        self.localNode = localNode
        self.libraries = libraries
        self.documents = documents
        self.clock = clock
        self.logger = logger
        documents.observe { [weak self] changes in self?.push(changes) }
    }

    // MARK: Sessions

    /// Opens a session for each of this node's libraries on a new connection.
    func connected(_ connection: PeerConnection) {
        for active in libraries.all { open(active.library, on: connection) }
    }

    /// Opens a session for `library` on every connection (a library was created or joined).
    func libraryAdded(_ library: Library, connections: [PeerConnection]) {
        for connection in connections { open(library, on: connection) }
    }

    /// Ends the sessions of a removed library; the peers keep syncing it among themselves.
    func libraryRemoved(_ id: UUID) {
        let ended = sessions.withLock { sessions in
            let keys = sessions.keys.filter { $0.library == id }
            return keys.compactMap { sessions.removeValue(forKey: $0) }
        }
        ended.forEach { $0.close() }
    }

    /// Opens a session for `library` on `connection`, and opens it again, backing off, whenever it
    /// is lost while the connection stays up and the library is still here.
    func open(_ library: Library, on connection: PeerConnection) {
        Task {
            var delay = Self.firstReopenDelay
            while !connection.isClosed {
                let started = ContinuousClock.now
                let ending: LibrarySession.Ending
                do {
                    let stream = try await connection.openStream(protocol: ProtocolNames.sync)
                    ending = await LibrarySession(stream: stream, initiator: localNode, engine: self, logger: logger)
                        .run(opening: library)
                } catch {
                    // No stream on a live connection (the peer's stream limit, say): worth another try, like a lost session.
                    logger.debug("could not open a sync stream to \(connection.peer.short): \(error)")
                    ending = .lost
                }
                guard ending == .lost, !connection.isClosed, libraries.active(library.id) != nil else { return }
                if ContinuousClock.now - started > Self.maxReopenDelay * 2 { delay = Self.firstReopenDelay }
                logger.info("sync session with node \(connection.peer.short) for library \(library.name) was lost; reopening in \(delay)")
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, Self.maxReopenDelay)
            }
        }
    }

    static let firstReopenDelay: Duration = .milliseconds(500)
    static let maxReopenDelay: Duration = .seconds(30)

    /// Serves a sync stream the peer opened.
    func accept(_ stream: PeerStream) async {
        await LibrarySession(stream: stream, initiator: stream.connection.peer, engine: self, logger: logger).run(opening: nil)
    }

    /// Admits an authenticated session. When both nodes opened one for the same library, both keep
    /// the one opened by the lower node id, so each pair syncs a library over exactly one stream.
    func register(_ session: LibrarySession, library: UUID) -> Bool {
        let key = SessionKey(peer: session.peer, library: library)
        let preferred = min(localNode, session.peer)
        let (admitted, displaced) = sessions.withLock { sessions -> (Bool, LibrarySession?) in
            guard let existing = sessions[key] else {
                sessions[key] = session
                return (true, nil)
            }
            if existing.initiator != preferred && session.initiator == preferred {
                sessions[key] = session
                return (true, existing)
            }
            return (false, nil)
        }
        displaced?.close()
        return admitted
    }

    func unregister(_ session: LibrarySession, library: UUID) {
        sessions.withLock { sessions in
            let key = SessionKey(peer: session.peer, library: library)
            if sessions[key] === session { sessions[key] = nil }
        }
    }

    /// The libraries `peer` has proved it holds, over live sessions.
    func sharedLibraries(with peer: NodeID) -> [UUID] {
        sessions.withLock { $0.keys.filter { $0.peer == peer }.map(\.library) }
    }

    /// The libraries this node syncs with at least one peer now.
    func librariesWithPeers() -> [UUID] {
        Array(Set(sessions.withLock { $0.keys.map(\.library) }))
    }

    /// The peers syncing `library` with this node now.
    func peers(of library: UUID) -> [NodeID] {
        sessions.withLock { $0.keys.filter { $0.library == library }.map(\.peer) }
    }

    // MARK: Entries

    /// Applies the entries a peer sent whose signatures and timestamps check out, in one
    /// transaction; the others are dropped with a warning.
    func receive(_ entries: [SyncEntry], library: UUID, keys: LibraryKeys, from peer: NodeID) {
        let verified = entries.filter { entry in
            do {
                guard entry.library == keys.publicKey else {
                    throw SyncSessionError.unexpected(peer, "an entry of another library")
                }
                try entry.verify(libraryKey: keys.publicKey)
                clock.observe(entry.timestamp)
                return true
            } catch {
                logger.warning("dropped entry \(entry.manifest.hashHex) from node \(peer.short) for library \(library): \(error)")
                return false
            }
        }
        guard !verified.isEmpty else { return }
        do {
            try documents.transaction { transaction in
                for entry in verified { try transaction.apply(entry, to: library, from: peer.publicKey) }
            }
        } catch {
            logger.warning("could not store \(verified.count) entries from node \(peer.short) for library \(library): \(error)")
        }
    }

    /// Sends each session the changed entries of its library, except those its peer sent.
    private func push(_ changes: [DocumentStore.Change]) {
        let open = sessions.withLock { $0 }
        for (key, session) in open {
            let entries = changes.filter { $0.libraryID == key.library && $0.source != key.peer.publicKey }.map(\.entry)
            if !entries.isEmpty { session.push(entries) }
        }
    }
}
