import Foundation

/// A real `can-sync` process on loopback with its own data directory and config file.
public final class NodeProcess: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let apiPort: Int
    public let configPath: String
    public private(set) var process: ChildProcess?

    public var apiURL: String { "http://127.0.0.1:\(apiPort)" }

    /// Writes a config (extra YAML lines are appended verbatim) and a plugins file, without starting.
    public init(label: String = "node", configLines: [String] = [], pluginsYAML: String? = nil) throws {
        directory = try TemporaryDirectory(label)
        apiPort = LoopbackPorts.freeTCPPort()
        configPath = directory.file("config.yaml").path
        let plugins = pluginsYAML ?? Self.defaultPluginsYAML
        try plugins.write(to: directory.file("plugins.yaml"), atomically: true, encoding: .utf8)
        let lines = ["listen_addr: \"127.0.0.1:\(apiPort)\"", "data_dir: \"./data\"", "plugins_file: \"plugins.yaml\""]
            + configLines
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
