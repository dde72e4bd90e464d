import PluginAPI

/// The `settings` of the pkarr plugin's entry in plugins.yaml.
struct PkarrDiscoverySettings: Sendable {
    static let knownKeys: Set = ["relays", "scan_interval_secs", "republish_interval_secs", "ttl_secs", "slots"]
    /// pkarr's own current default relay (pkarr.org's domain is no longer the pkarr team's).
    static let defaultRelays = ["https://pkarr.pubky.org"]

    /// Relay base URLs without a trailing slash; `/<z32>` is appended.
    var relays: [String]
    /// Time to read every slot once; the reads are spread evenly across it.
    var scanIntervalSeconds: Double
    var republishIntervalSeconds: Double
    /// TTL of the published records, and the age after which a slot's packet counts as abandoned.
    var ttlSeconds: Double
    var slots: Int

    init(_ settings: PluginSettings) throws {
        try settings.rejectUnknownKeys(Self.knownKeys)
        relays = try (settings.strings("relays") ?? Self.defaultRelays).map { relay in
            var url = relay
            while url.hasSuffix("/") { url.removeLast() }
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.count > "https://".count else {
                throw PluginFailure(CSYNC_ERR_INVALID, "setting 'relays': '\(relay)' is not an http:// or https:// URL")
            }
            return url
        }
        guard !relays.isEmpty else { throw PluginFailure(CSYNC_ERR_INVALID, "setting 'relays' must name at least one relay URL") }
        scanIntervalSeconds = try Self.positive(settings, "scan_interval_secs", default: 15)
        republishIntervalSeconds = try Self.positive(settings, "republish_interval_secs", default: 60)
        ttlSeconds = try Self.positive(settings, "ttl_secs", default: 300)
        guard ttlSeconds > republishIntervalSeconds else {
            throw PluginFailure(CSYNC_ERR_INVALID,
                                "setting 'ttl_secs' (\(ttlSeconds)) must exceed 'republish_interval_secs' (\(republishIntervalSeconds)), or claims lapse between republishes")
        }
        slots = try settings.int("slots") ?? 8
        guard (1...64).contains(slots) else { throw PluginFailure(CSYNC_ERR_INVALID, "setting 'slots' must be 1...64, got \(slots)") }
    }

    private static func positive(_ settings: PluginSettings, _ key: String, default value: Double) throws -> Double {
        let number = try settings.double(key) ?? value
        guard number > 0, number <= 86_400 else {
            throw PluginFailure(CSYNC_ERR_INVALID, "setting '\(key)' must be a number of seconds in (0, 86400], got \(number)")
        }
        return number
    }
}
