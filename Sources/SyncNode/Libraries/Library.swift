import Foundation
import GRDB
import PluginHost
import SyncProtocol

/// A shared collection of CAN assets, defined by a filter, with the secret that grants access to it.
public struct Library: Sendable, Equatable {
    public var id: UUID
    public var name: String
    /// The filter as a JSON object text, exactly as given.
    public var filterJSON: String
    public var secret: LibrarySecret
    /// Milliseconds since the Unix epoch.
    public var createdAt: Int64
    public var lastAnnounceAt: Int64?
    /// The node whose ticket this library was joined with; nil for a library created here.
    public var inviter: NodeID?

    public var keys: LibraryKeys { LibraryKeys(secret: secret) }
}

extension Library: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "library"

    public init(row: Row) throws {
        guard let id = UUID(uuidString: row["id"]) else { throw DatabaseError(message: "bad library id \(row["id"] ?? "")") }
        let secretBytes: Data = row["secret"]
        guard let secret = Bytes32(secretBytes) else { throw DatabaseError(message: "bad secret for library \(id)") }
        self.init(id: id, name: row["name"], filterJSON: row["filter_json"], secret: LibrarySecret(secret),
                  createdAt: row["created_at"], lastAnnounceAt: row["last_announce_at"],
                  inviter: (row["inviter"] as String?).flatMap(NodeID.init(hex:)))
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id.uuidString.lowercased()
        container["name"] = name
        container["filter_json"] = filterJSON
        container["secret"] = Data(secret.bytes32.bytes)
        container["created_at"] = createdAt
        container["last_announce_at"] = lastAnnounceAt
        container["inviter"] = inviter?.hex
    }
}
