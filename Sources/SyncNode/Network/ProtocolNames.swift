/// The stream protocol tags this node speaks, one per protocol, each versioned.
enum ProtocolNames {
    /// Library document sync: capability handshake, reconciliation, entry push.
    static let sync = "can-sync/sync/1"
    /// Blob transfer by hash with an offset.
    static let blobs = "can-sync/blobs/1"

    /// Messages of the discovery plugin named `plugin` (its host->send_message).
    static func discovery(_ plugin: String) -> String { "can-sync/discovery/\(plugin)/1" }
}
