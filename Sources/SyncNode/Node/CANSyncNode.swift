import CPluginAPI
import Foundation
import Hummingbird
import Logging
import PluginHost
import ServiceLifecycle

/// One CAN Sync node: its identity, its plugins and its HTTP API, run as a group of services
/// until the process is asked to stop.
public final class CANSyncNode: Sendable {
    public let configuration: NodeConfiguration
    public let identity: NodeIdentity
    public let plugins: PluginRegistry
    public let filters: FilterEngine
    let logger: Logger
    private let startedAt = Date()

    /// Creates the data directory and identity and loads the plugins; nothing listens yet.
    public init(configuration: NodeConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        identity = try NodeIdentity.loadOrCreate(in: configuration.dataDirectory)
        let executableDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().path
        let manifest = try PluginManifest.load(file: configuration.pluginsFile, executableDirectory: executableDirectory)
        let view = NodeIdentityView(nodeID: identity.nodeID, secretKey: identity.secretKey,
                                    syncPassphrase: configuration.syncPassphrase ?? "",
                                    dataDirectory: configuration.dataDirectory)
        let pluginLogger = logger
        plugins = try PluginRegistry.load(
            manifest: manifest, identity: view,
            log: { name, level, message in pluginLogger.log(level: Logger.Level(level), "[\(name)] \(message)") },
            warn: { logger.warning("\($0)") })
        filters = FilterEngine(plugins: plugins.instances(of: .filter))
        logger.info("node \(identity.nodeID) loaded \(plugins.instances.count) plugin(s): \(plugins.summaries.map { "\($0.name) (\($0.kind.rawValue))" }.joined(separator: ", "))")
    }

    /// Serves the API until SIGINT/SIGTERM or cancellation.
    public func run() async throws {
        let router = Router()
        router.add(middleware: APIErrorMiddleware())
        StatusRoutes(node: self).register(on: router)
        let api = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.listenAddress.host, port: configuration.listenAddress.port),
                                 serverName: "can-sync/\(CANSyncVersion.current)"),
            onServerRunning: { [logger, configuration] _ in
                logger.info("CAN Sync API listening on http://\(configuration.listenAddress)")
            },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: api)], gracefulShutdownSignals: [.sigterm, .sigint],
                                 logger: logger))
        defer { plugins.shutdown() }
        try await group.run()
    }

    func statusReport() async -> StatusReport {
        StatusReport(
            nodeID: identity.nodeID.hex, version: CANSyncVersion.current,
            uptimeSecs: (Date().timeIntervalSince(startedAt) * 1000).rounded() / 1000,
            listenAddr: configuration.listenAddress.description, addresses: [],
            plugins: plugins.summaries)
    }
}

extension Logger.Level {
    init(_ level: csync_log_level) {
        switch level {
        case CSYNC_LOG_DEBUG: self = .debug
        case CSYNC_LOG_INFO: self = .info
        case CSYNC_LOG_WARNING: self = .warning
        default: self = .error
        }
    }
}
