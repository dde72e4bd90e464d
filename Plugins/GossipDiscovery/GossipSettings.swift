import PluginAPI

/// The `settings` of the gossip plugin in plugins.yaml.
///
/// - `bootstrap`: peers to JOIN in every library, besides those named by join tickets. Each item is
///   either a string "<node id hex>@<addr>,<addr>" (the "@…" part optional) or a mapping
///   `{node_id: <hex>, addresses: [<addr>, …]}`.
/// - `peer_ttl_secs` (default 300): a member not heard from, directly or through others, for this long
///   is dropped from every view and never passed on again.
/// - `shuffle_interval_secs` (default 10): the timer period: keepalives, one SHUFFLE, view repair.
/// - `active_view_size` (default 5), `passive_view_size` (default 30): HyParView view bounds.
/// - `max_messages_per_interval` (default 40): hard cap on messages sent per library per interval.
/// - `replay_window_secs` (default 60): messages whose timestamp is further than this from the local
///   clock are dropped; within it, an exact repeat is dropped.
/// Seconds may be fractional.
struct GossipSettings: Sendable {
    static let keys: Set<String> = [
        "bootstrap", "peer_ttl_secs", "shuffle_interval_secs", "active_view_size", "passive_view_size",
        "max_messages_per_interval", "replay_window_secs",
    ]

    var bootstrap: [BootstrapPeer] = []
    var peerTTLMilliseconds: UInt64 = 300_000
    var shuffleIntervalMilliseconds: UInt64 = 10_000
    var activeViewSize = 5
    var passiveViewSize = 30
    var maxMessagesPerInterval = 40
    var replayWindowMilliseconds: UInt64 = 60_000

    /// An active neighbour silent for this long is moved to the passive view (its record stays until the TTL).
    var neighborTimeoutMilliseconds: UInt64 { min(3 * shuffleIntervalMilliseconds, peerTTLMilliseconds) }

    init() {}

    init(_ settings: PluginSettings) throws {
        try settings.rejectUnknownKeys(Self.keys)
        bootstrap = try Self.bootstrapPeers(settings.values["bootstrap"])
        peerTTLMilliseconds = try Self.milliseconds(settings, "peer_ttl_secs", default: peerTTLMilliseconds)
        shuffleIntervalMilliseconds = try Self.milliseconds(settings, "shuffle_interval_secs", default: shuffleIntervalMilliseconds)
        replayWindowMilliseconds = try Self.milliseconds(settings, "replay_window_secs", default: replayWindowMilliseconds)
        activeViewSize = try Self.count(settings, "active_view_size", default: activeViewSize, range: 1...64)
        passiveViewSize = try Self.count(settings, "passive_view_size", default: passiveViewSize, range: 1...1024)
        maxMessagesPerInterval = try Self.count(settings, "max_messages_per_interval", default: maxMessagesPerInterval,
                                                range: (activeViewSize + 4)...100_000)
        guard peerTTLMilliseconds >= 2 * shuffleIntervalMilliseconds else {
            throw PluginFailure(CSYNC_ERR_INVALID,
                                "setting 'peer_ttl_secs' must be at least twice 'shuffle_interval_secs', or live members would expire between keepalives")
        }
    }

    private static func milliseconds(_ settings: PluginSettings, _ key: String, default value: UInt64) throws -> UInt64 {
        guard let seconds = try settings.double(key) else { return value }
        guard seconds >= 0.01, seconds <= 86_400 * 30 else {
            throw PluginFailure(CSYNC_ERR_INVALID, "setting '\(key)' must be between 0.01 and 2592000 seconds, got \(seconds)")
        }
        return UInt64(seconds * 1000)
    }

    private static func count(_ settings: PluginSettings, _ key: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let number = try settings.int(key) else { return value }
        guard range.contains(number) else {
            throw PluginFailure(CSYNC_ERR_INVALID, "setting '\(key)' must be \(range.lowerBound)-\(range.upperBound), got \(number)")
        }
        return number
    }

    private static func bootstrapPeers(_ value: JSONValue?) throws -> [BootstrapPeer] {
        let items: [JSONValue]
        switch value {
        case nil, .null?: return []
        case .array(let list)?: items = list
        case let single?: items = [single]
        }
        return try items.enumerated().map { index, item in
            switch item {
            case .string(let text): return try BootstrapPeer(parsing: text, index: index)
            case .object(let fields): return try BootstrapPeer(fields: fields, index: index)
            default:
                throw PluginFailure(CSYNC_ERR_INVALID,
                                    "bootstrap[\(index)] must be \"<node id hex>@<addr>,…\" or {node_id, addresses}, not \(item.typeName)")
            }
        }
    }
}

/// A peer named in the `bootstrap` setting.
struct BootstrapPeer: Sendable, Equatable {
    var nodeID: [UInt8]
    var addresses: [String]

    init(nodeID: [UInt8], addresses: [String]) {
        self.nodeID = nodeID
        self.addresses = addresses
    }

    init(parsing text: String, index: Int) throws {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let addresses = parts.count > 1 ? parts[1].split(separator: ",").map { $0.trimmingCharactersInSpaces() } : []
        try self.init(idText: String(parts[0]).trimmingCharactersInSpaces(), addresses: addresses, index: index)
    }

    init(fields: [String: JSONValue], index: Int) throws {
        if let unknown = fields.keys.sorted().first(where: { $0 != "node_id" && $0 != "addresses" }) {
            throw PluginFailure(CSYNC_ERR_INVALID, "bootstrap[\(index)]: unknown key '\(unknown)' (known: addresses, node_id)")
        }
        guard case .string(let id)? = fields["node_id"] else {
            throw PluginFailure(CSYNC_ERR_INVALID, "bootstrap[\(index)]: 'node_id' must be a string of 64 hex digits")
        }
        var addresses: [String] = []
        switch fields["addresses"] {
        case nil, .null?: break
        case .string(let one)?: addresses = [one]
        case .array(let list)?:
            addresses = try list.map {
                guard case .string(let text) = $0 else {
                    throw PluginFailure(CSYNC_ERR_INVALID, "bootstrap[\(index)]: 'addresses' must be a list of strings")
                }
                return text
            }
        case let other?:
            throw PluginFailure(CSYNC_ERR_INVALID, "bootstrap[\(index)]: 'addresses' must be a list of strings, not \(other.typeName)")
        }
        try self.init(idText: id, addresses: addresses, index: index)
    }

    private init(idText: String, addresses: [String], index: Int) throws {
        guard idText.utf8.count == 64, let id = Hex.decode(idText) else {
            throw PluginFailure(CSYNC_ERR_INVALID, "bootstrap[\(index)]: node id must be 64 hex digits, got '\(idText.prefix(80))'")
        }
        for address in addresses {
            if let problem = AddressSyntax.problem(with: address) {
                throw PluginFailure(CSYNC_ERR_INVALID, "bootstrap[\(index)]: \(problem)")
            }
        }
        self.init(nodeID: id, addresses: addresses)
    }
}

extension StringProtocol {
    func trimmingCharactersInSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
