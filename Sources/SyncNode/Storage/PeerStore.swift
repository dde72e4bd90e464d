import Foundation
import GRDB
import PluginHost

/// The peers this node has heard of, kept across restarts so that a restarted node reconnects
/// to the nodes it synced with before, even when nothing rediscovers them.
final class PeerStore: Sendable {
    private let database: NodeDatabase
    /// Peers not rediscovered for this long are forgotten at start.
    static let retention: TimeInterval = 30 * 24 * 3600

    init(database: NodeDatabase) {
        self.database = database
    }

    func load() throws -> [KnownPeer] {
        let cutoff = Int64((Date().timeIntervalSince1970 - Self.retention) * 1000)
        return try database.pool.write { db in
            try db.execute(sql: "DELETE FROM peer WHERE last_discovered < ?", arguments: [cutoff])
            return try Row.fetchAll(db, sql: "SELECT * FROM peer").compactMap { row -> KnownPeer? in
                guard let id = NodeID(hex: row["node_id"]),
                      let addresses = try? JSONDecoder().decode([String].self, from: Data((row["addresses"] as String).utf8)),
                      let sources = try? JSONDecoder().decode([String].self, from: Data((row["sources"] as String).utf8))
                else { return nil }
                let time = Date(timeIntervalSince1970: Double(row["last_discovered"] as Int64) / 1000)
                return KnownPeer(id: id, addresses: addresses, sources: Set(sources), lastDiscovered: time)
            }
        }
    }

    func save(_ peer: KnownPeer) throws {
        let addresses = String(decoding: try JSONEncoder().encode(peer.addresses), as: UTF8.self)
        let sources = String(decoding: try JSONEncoder().encode(peer.sources.sorted()), as: UTF8.self)
        try database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO peer (node_id, addresses, sources, last_discovered) VALUES (?, ?, ?, ?)
                ON CONFLICT(node_id) DO UPDATE SET addresses = excluded.addresses, sources = excluded.sources,
                    last_discovered = excluded.last_discovered
                """, arguments: [peer.id.hex, addresses, sources, Int64(peer.lastDiscovered.timeIntervalSince1970 * 1000)])
        }
    }
}
