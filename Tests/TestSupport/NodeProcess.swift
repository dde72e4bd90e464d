import Foundation

/// A real `can-sync` process on loopback with its own data directory and config file.
public final class NodeProcess: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let apiPort: Int
    public let configPath: String
    private let bundledStore: Bool
    public private(set) var process: ChildProcess?

    public var apiURL: String { "http://127.0.0.1:\(apiPort)" }
    /// The CAN Service this node syncs (its bundled store when started with `bundledStore: true`).
    public let storeURL: String

    /// Writes a config (extra YAML lines are appended verbatim) and a plugins file, without starting.
    /// `storeURL`: a CAN Service already running for this node (instead of the bundled store).
    public init(label: String = "node", configLines: [String] = [], pluginsYAML: String? = nil,
                bundledStore: Bool = false, storeURL externalStoreURL: String? = nil) throws {
        directory = try TemporaryDirectory(label)
        apiPort = LoopbackPorts.freeTCPPort()
        self.bundledStore = bundledStore
        storeURL = externalStoreURL ?? "http://127.0.0.1:\(LoopbackPorts.freeTCPPort())/api/v1/can/0"
        configPath = directory.file("config.yaml").path
        let plugins = pluginsYAML ?? Self.defaultPluginsYAML
        try plugins.write(to: directory.file("plugins.yaml"), atomically: true, encoding: .utf8)
        let store = bundledStore ? ["can_service_url: \"\(storeURL)\"", "bundled_can_service: true"]
            : externalStoreURL != nil ? ["can_service_url: \"\(storeURL)\""] : []
        let lines = ["listen_addr: \"127.0.0.1:\(apiPort)\"", "data_dir: \"./data\"", "plugins_file: \"plugins.yaml\""]
            + store + configLines
        try lines.joined(separator: "\n").write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Every built plugin, transports bound to loopback.
    public static let defaultPluginsYAML = """
        plugins:
          - path: \(BuildProducts.plugin("QuicTransport"))
            required: true
            settings: { bind: "127.0.0.1:0" }
          - path: \(BuildProducts.plugin("Filters"))
            required: true
        """

    /// Starts the node and waits until its API answers.
    public func start(timeout: TimeInterval = 20) async throws {
        let child = try ChildProcess(BuildProducts.executable("can-sync"), [configPath, "--log-level", "debug"],
                                     directory: directory.url, logURL: directory.file("node.log"))
        process = child
        let up = await eventually(timeout: timeout) {
            guard child.isRunning else { return true }
            return await TestHTTP.isUp("\(apiURL)/status")
        }
        if up, child.isRunning, bundledStore {
            _ = await eventually(timeout: timeout) { await TestHTTP.isUp("\(storeURL)/health") }
        }
        guard up, child.isRunning else {
            throw NodeStartError(message: "can-sync did not start:\n\(child.output)")
        }
    }

    public func stop() { process?.stop() }

    public struct NodeStartError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    deinit { process?.stop() }
}
