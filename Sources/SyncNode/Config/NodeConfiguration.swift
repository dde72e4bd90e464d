import Foundation
import YAMLTree

/// The node's settings, read from config.yaml. Every key is optional; the defaults run a node
/// against a CAN Service on this machine's default port.
public struct NodeConfiguration: Sendable, Equatable {
    /// Base URL of the CAN Service API this node syncs.
    public var canServiceURL = "http://127.0.0.1:3210/api/v1/can/0"
    /// Host and port of this node's HTTP API.
    public var listenAddress = HostPort(host: "127.0.0.1", port: 3213)
    /// Where the node keeps its key, its database and partial downloads.
    public var dataDirectory = "./can_sync_data"
    /// A NAT-traversal relay for the transport; nil uses none. The QUIC transport has no relay
    /// support, so a node given one warns at start that it is ignored.
    public var relayURL: String?
    /// Seconds between fast polls for new assets.
    public var pollIntervalSeconds = 5
    /// Seconds between full scans of every asset.
    public var fullScanIntervalSeconds = 300
    /// Peers sharing this passphrase find each other through rendezvous discovery; nil disables it.
    public var syncPassphrase: String?
    /// The plugins file; relative paths resolve against the config file's directory.
    public var pluginsFile = "plugins.yaml"
    /// Run a CAN Service-compatible store inside the node, serving `canServiceURL`.
    public var bundledCANService = false

    public init() {}

    /// The keys config.yaml may hold.
    public static let keys = [
        "can_service_url", "listen_addr", "data_dir", "relay_url", "poll_interval_secs",
        "full_scan_interval_secs", "sync_passphrase", "plugins_file", "bundled_can_service",
    ]

    /// Reads `file`. Relative paths inside it (data_dir, plugins_file) resolve against the file's directory.
    public static func load(file: String) throws -> NodeConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw YAMLFileError(file: file, line: 0, key: nil, problem: "cannot read the config file: \(error.localizedDescription)")
        }
        return try parse(text, file: file)
    }

    public static func parse(_ text: String, file: String) throws -> NodeConfiguration {
        let root = try YAMLMapping.parse(text, file: file)
        try root.rejectUnknownKeys(keys)
        var config = NodeConfiguration()
        // Absolute first: standardizing a relative URL would drop a leading "..".
        let base = URL(fileURLWithPath: file).absoluteURL.deletingLastPathComponent()
        if let url = try root.string("can_service_url") {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw root.error("can_service_url", "'\(url)' is not an http(s) URL (e.g. http://127.0.0.1:3210/api/v1/can/0)")
            }
            config.canServiceURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        if let address = try root.string("listen_addr") {
            guard let parsed = HostPort(address) else {
                throw root.error("listen_addr", "'\(address)' is not host:port (e.g. 127.0.0.1:3213)")
            }
            config.listenAddress = parsed
        }
        if let directory = try root.string("data_dir") {
            guard !directory.isEmpty else { throw root.error("data_dir", "must not be empty") }
            config.dataDirectory = resolve(directory, against: base)
        } else {
            config.dataDirectory = resolve(config.dataDirectory, against: base)
        }
        if let relay = try root.string("relay_url") {
            guard let parsed = URL(string: relay), parsed.scheme != nil, parsed.host != nil else {
                throw root.error("relay_url", "'\(relay)' is not a URL (or use null for none)")
            }
            config.relayURL = relay
        }
        config.pollIntervalSeconds = try root.int("poll_interval_secs", in: 1...86_400) ?? config.pollIntervalSeconds
        config.fullScanIntervalSeconds = try root.int("full_scan_interval_secs", in: 1...604_800) ?? config.fullScanIntervalSeconds
        if let passphrase = try root.string("sync_passphrase"), !passphrase.isEmpty {
            config.syncPassphrase = passphrase
        }
        config.pluginsFile = resolve(try root.string("plugins_file") ?? config.pluginsFile, against: base)
        config.bundledCANService = try root.bool("bundled_can_service") ?? false
        if config.bundledCANService {
            guard let url = URL(string: config.canServiceURL), url.scheme == "http",
                  ["127.0.0.1", "localhost", "::1", "[::1]"].contains(url.host ?? "") else {
                throw root.error("bundled_can_service", "the bundled store serves only a loopback http can_service_url, not \(config.canServiceURL)")
            }
        }
        return config
    }

    /// The defaults, with relative paths resolved against `directory`.
    public static func defaults(in directory: URL) -> NodeConfiguration {
        var config = NodeConfiguration()
        config.dataDirectory = resolve(config.dataDirectory, against: directory)
        config.pluginsFile = resolve(config.pluginsFile, against: directory)
        return config
    }

    private static func resolve(_ path: String, against base: URL) -> String {
        path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardized.path
    }
}
