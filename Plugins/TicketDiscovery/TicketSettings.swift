import PluginAPI

/// The `settings` of the ticket-files plugin in plugins.yaml.
///
/// - `ticket_dir`: the directory of ticket files to watch (default "<data_dir>/tickets").
/// - `own_ticket_file`: where this node writes its own ticket (default "<ticket_dir>/<node id hex>.ticket").
/// - `poll_interval_ms`: how often the directory and the local addresses are checked (default 1000).
struct TicketSettings: Sendable {
    static let keys: Set<String> = ["ticket_dir", "own_ticket_file", "poll_interval_ms"]

    var ticketDirectory: String
    var ownTicketFile: String
    var pollIntervalMilliseconds: Int

    init(_ settings: PluginSettings, dataDirectory: String, nodeIDHex: String) throws {
        try settings.rejectUnknownKeys(Self.keys)
        let directory = try settings.string("ticket_dir") ?? "\(dataDirectory)/tickets"
        guard !directory.isEmpty else { throw PluginFailure(CSYNC_ERR_INVALID, "setting 'ticket_dir' must not be empty") }
        ticketDirectory = directory
        let ownFile = try settings.string("own_ticket_file") ?? "\(directory)/\(nodeIDHex).ticket"
        guard !ownFile.isEmpty, !ownFile.hasSuffix("/") else {
            throw PluginFailure(CSYNC_ERR_INVALID, "setting 'own_ticket_file' must name a file, got '\(ownFile)'")
        }
        ownTicketFile = ownFile
        let interval = try settings.int("poll_interval_ms") ?? 1000
        guard (10...3_600_000).contains(interval) else {
            throw PluginFailure(CSYNC_ERR_INVALID, "setting 'poll_interval_ms' must be 10-3600000, got \(interval)")
        }
        pollIntervalMilliseconds = interval
    }
}
