import CANClient
import CANStore
import CPluginAPI
import Foundation
import Hummingbird
import Logging
import PluginHost
import ServiceLifecycle
import SyncProtocol

/// One CAN Sync node: its identity, plugins, libraries, announcer and HTTP API (and, when
/// configured, the bundled CAN store), run as a group of services until the process is asked to stop.
public final class CANSyncNode: Sendable {
    public let configuration: NodeConfiguration
    public let identity: NodeIdentity
    public let plugins: PluginRegistry
    public let filters: FilterEngine
    public let database: NodeDatabase
    public let libraries: LibraryRegistry
    public let documents: DocumentStore
    public let canClient: CANClient
    /// Answers `/status` at once: no retries while the service is down.
    private let healthClient: CANClient
    let clock: EntryClock
    let logger: Logger
    private let startedAt = Date()

    /// Creates the data directory, identity and database and loads the plugins; nothing listens yet.
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
        database = try NodeDatabase(directory: configuration.dataDirectory)
        libraries = try LibraryRegistry(database: database, filters: filters)
        documents = DocumentStore(database: database)
        clock = EntryClock(last: try documents.latestTimestamp())
        canClient = CANClient(baseURL: configuration.canServiceURL, logger: logger)
        healthClient = CANClient(baseURL: configuration.canServiceURL, retryPolicy: .none,
                                 requestTimeout: .seconds(2), logger: logger)
        logger.info("node \(identity.nodeID) loaded \(plugins.instances.count) plugin(s): \(plugins.summaries.map { "\($0.name) (\($0.kind.rawValue))" }.joined(separator: ", "))")
    }

    /// Serves until SIGINT/SIGTERM or cancellation.
    public func run() async throws {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let store = try bundledStore() {
            services.append(.init(service: store))
        }
        guard let author = SigningKey(libsodiumSecretKey: identity.secretKey) else {
            throw IdentityError("the node key in \(configuration.dataDirectory) is inconsistent")
        }
        services.append(.init(service: Announcer(
            client: canClient, libraries: libraries, documents: documents, cursors: CursorStore(database: database),
            author: author, clock: clock, pollIntervalSeconds: configuration.pollIntervalSeconds,
            fullScanIntervalSeconds: configuration.fullScanIntervalSeconds, logger: logger)))
        services.append(.init(service: makeAPI()))
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        defer { plugins.shutdown() }
        try await group.run()
    }

    private func bundledStore() throws -> CANStoreServer? {
        guard configuration.bundledCANService, let url = URL(string: configuration.canServiceURL) else { return nil }
        let store = try CANStoreServer(
            configuration: CANStoreConfiguration(
                host: url.host == "localhost" ? "127.0.0.1" : (url.host ?? "127.0.0.1"), port: url.port ?? 80,
                dataDirectory: URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("can_service").path),
            logger: logger)
        logger.info("bundled CAN store serving \(configuration.canServiceURL)")
        return store
    }

    private func makeAPI() -> some Service {
        let router = Router()
        router.add(middleware: APIErrorMiddleware())
        StatusRoutes(node: self).register(on: router)
        LibraryRoutes(libraries: libraries, documents: documents).register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.listenAddress.host, port: configuration.listenAddress.port),
                                 serverName: "can-sync/\(CANSyncVersion.current)"),
            onServerRunning: { [logger, configuration] _ in
                logger.info("CAN Sync API listening on http://\(configuration.listenAddress)")
            },
            logger: logger)
    }

    func statusReport() async -> StatusReport {
        let health = try? await healthClient.health()
        return StatusReport(
            nodeID: identity.nodeID.hex, version: CANSyncVersion.current,
            uptimeSecs: (Date().timeIntervalSince(startedAt) * 1000).rounded() / 1000,
            listenAddr: configuration.listenAddress.description, addresses: [],
            plugins: plugins.summaries,
            canService: CANServiceStatus(url: configuration.canServiceURL, reachable: health?.ok ?? false,
                                         version: health?.version, assets: health?.assets,
                                         bundled: configuration.bundledCANService),
            libraryCount: libraries.count)
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
