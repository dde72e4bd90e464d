import Foundation
import GRDB
import PluginHost
import Synchronization
import SyncProtocol

/// The libraries this node syncs: stored in SQLite, with their filters compiled by the filter
/// plugins. Observers hear about every library added or removed.
public final class LibraryRegistry: Sendable {
    /// A library with its compiled filter.
    public struct Active: Sendable {
        public let library: Library
        public let filter: CompiledFilter
        /// Derived once: the derivation includes an Ed25519 key generation, and the announcer signs
        /// every entry with them.
        public let keys: LibraryKeys

        init(library: Library, filter: CompiledFilter, keys: LibraryKeys? = nil) {
            self.library = library
            self.filter = filter
            self.keys = keys ?? library.keys
        }
    }

    /// A change observers are told about.
    public enum Change: Sendable {
        case added(Library)
        case removed(UUID)
    }

    private let database: NodeDatabase
    private let filters: FilterEngine
    private let state: Mutex<(active: [UUID: Active], observers: [@Sendable (Change) -> Void])>

    /// Loads the stored libraries. A stored filter the loaded plugins no longer accept is an error
    /// naming the library, so a missing filter plugin never silently widens or empties a library.
    public init(database: NodeDatabase, filters: FilterEngine) throws {
        self.database = database
        self.filters = filters
        let libraries = try database.pool.read { db in try Library.order(Column("created_at")).fetchAll(db) }
        var active: [UUID: Active] = [:]
        for library in libraries {
            do {
                active[library.id] = Active(library: library, filter: try filters.compile(json: library.filterJSON))
            } catch {
                throw FilterError(message: "library \(library.id) (\(library.name)): stored filter \(library.filterJSON) is no longer accepted: \(error) — load the filter plugin that owns it")
            }
        }
        state = Mutex((active, []))
    }

    /// Calls `observer` for every later change.
    public func observe(_ observer: @escaping @Sendable (Change) -> Void) {
        state.withLock { $0.observers.append(observer) }
    }

    /// Creates a library with a fresh secret, after validating its name and filter.
    public func create(name: String, filterJSON: String) throws -> Library {
        try add(Library(id: UUID(), name: name, filterJSON: filterJSON, secret: .generate(),
                        createdAt: Int64(Date().timeIntervalSince1970 * 1000), lastAnnounceAt: nil, inviter: nil))
    }

    /// Adds a library (created here or joined from a ticket).
    public func add(_ library: Library) throws -> Library {
        let trimmed = library.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 200 else {
            throw LibraryError(message: "field 'name' must be 1 to 200 characters")
        }
        let compiled = try filters.compile(json: library.filterJSON)
        let compiledFilter = compiled
        try database.pool.write { db in
            if try Library.exists(db, key: library.id.uuidString.lowercased()) {
                throw LibraryError(message: "library \(library.id.uuidString.lowercased()) already exists on this node")
            }
            try library.insert(db)
        }
        let observers = state.withLock { state in
            state.active[library.id] = Active(library: library, filter: compiledFilter)
            return state.observers
        }
        observers.forEach { $0(.added(library)) }
        return library
    }

    /// Removes a library and its document; returns false when it did not exist.
    @discardableResult
    public func remove(_ id: UUID) throws -> Bool {
        let deleted = try database.pool.write { db in try Library.deleteOne(db, key: id.uuidString.lowercased()) }
        let observers = state.withLock { state in
            state.active[id] = nil
            return state.observers
        }
        if deleted { observers.forEach { $0(.removed(id)) } }
        return deleted
    }

    public var all: [Active] {
        state.withLock { Array($0.active.values) }.sorted { $0.library.createdAt < $1.library.createdAt }
    }

    public func active(_ id: UUID) -> Active? {
        state.withLock { $0.active[id] }
    }

    public var count: Int { state.withLock { $0.active.count } }

    /// Records that the announcer finished a pass over `id` at `time` (ms).
    public func markAnnounced(_ id: UUID, at time: Int64) throws {
        try database.pool.write { db in
            try db.execute(sql: "UPDATE library SET last_announce_at = ? WHERE id = ?", arguments: [time, id.uuidString.lowercased()])
        }
        state.withLock { state in
            guard let current = state.active[id] else { return }
            var library = current.library
            library.lastAnnounceAt = time
            state.active[id] = Active(library: library, filter: current.filter, keys: current.keys)
        }
    }

    /// Hands discovery plugins the current memberships, then every change.
    public func subscribeMemberships(_ handler: @escaping @Sendable (LibraryEvent) -> Void) {
        let current = state.withLock { state in
            state.observers.append { change in
                switch change {
                case .added(let library): handler(library.membershipEvent(joined: true))
                case .removed(let id):
                    handler(LibraryEvent(libraryID: id.uuidString.lowercased(), joined: false,
                                         topicKey: Array(repeating: 0, count: 32), bootstrap: []))
                }
            }
            return Array(state.active.values)
        }
        for active in current { handler(active.library.membershipEvent(joined: true)) }
    }
}

extension Library {
    func membershipEvent(joined: Bool) -> LibraryEvent {
        LibraryEvent(libraryID: id.uuidString.lowercased(), joined: joined, topicKey: keys.gossipTopic.bytes,
                     bootstrap: inviter.map { [$0] } ?? [])
    }
}

/// A library request this node cannot accept, with a message naming the problem.
public struct LibraryError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
