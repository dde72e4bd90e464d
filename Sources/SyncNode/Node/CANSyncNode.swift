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
    let healthClient: CANClient
    let clock: EntryClock
    let logger: Logger
    let directory: PeerDirectory
    let transport: PeerTransport
    let engine: SyncEngine
    let network: PeerNetwork
    let fetcher: Fetcher
    let meter = TransferMeter()
    let startedAt = Date()

    /// Creates the data directory, identity and database and loads the plugins; nothing listens yet.
    public init(configuration: NodeConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        identity = try NodeIdentity.loadOrCreate(in: configuration.dataDirectory)
        let manifest = try PluginManifest.load(file: configuration.pluginsFile,
                                               executableDirectory: Self.executableDirectory())
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
        guard let transportPlugin = plugins.instances(of: .transport).first else {
            throw PluginLoadError(path: configuration.pluginsFile, reason: "no transport plugin is enabled: list libQuicTransport.so")
        }
        transport = try PeerTransport(transportPlugin)
        directory = try PeerDirectory(localNode: identity.nodeID, store: PeerStore(database: database), logger: logger)
        engine = SyncEngine(localNode: identity.nodeID, libraries: libraries, documents: documents, clock: clock, logger: logger)
        network = PeerNetwork(transport: transport, directory: directory, engine: engine,
                              blobs: BlobProvider(client: canClient, engine: engine, meter: meter, logger: logger),
                              discoveryPlugins: plugins.instances(of: .discovery), logger: logger)
        let network = network
        fetcher = try Fetcher(client: canClient, documents: documents, partialUploads: PartialUploadLedger(database: database),
                              engine: engine, connections: { network.connection(to: $0) }, meter: meter,
                              dataDirectory: configuration.dataDirectory, logger: logger)
        wireComponents()
        logger.info("node \(identity.nodeID) loaded \(plugins.instances.count) plugin(s): \(plugins.summaries.map { "\($0.name) (\($0.kind.rawValue))" }.joined(separator: ", "))")
    }

    /// The directory of the running executable, against which relative plugin paths resolve: the
    /// real path of `/proc/self/exe`, since `argv[0]` has no directory when started from `PATH`;
    /// `argv[0]` (resolved) where there is no `/proc`.
    static func executableDirectory() -> String {
        if let resolved = realpath("/proc/self/exe", nil) {
            defer { free(resolved) }
            return URL(fileURLWithPath: String(cString: resolved)).deletingLastPathComponent().path
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().path
    }

    private func wireComponents() {
        let (libraries, network, engine, fetcher) = (libraries, network, engine, fetcher)
        directory.connect(.init(
            localAddresses: { [transport] in transport.localAddresses() },
            subscribeLibraries: { handler in libraries.subscribeMemberships(handler) },
            sendMessage: { plugin, peer, data in network.sendDiscoveryMessage(plugin: plugin, to: peer, data) }))
        for plugin in plugins.instances(of: .discovery) { plugin.host.attach(discovery: directory) }
        libraries.observe { change in
            switch change {
            case .added(let library):
                engine.libraryAdded(library, connections: network.connections)
                fetcher.poke()
            case .removed(let id):
                engine.libraryRemoved(id)
                fetcher.libraryRemoved(id)
            }
        }
    }

    /// Creates a library from an invite ticket and starts syncing with the inviting node.
    public func join(_ ticket: LibraryTicket) throws -> Library {
        let inviter = NodeID(ticket.nodeID)
        _ = try filters.compile(json: ticket.filter)
        // The inviter goes into the directory first: adding the library tells the discovery
        // plugins, and gossip writes to the inviter at once.
        if inviter != identity.nodeID {
            directory.peerDiscovered(inviter, addresses: ticket.addresses, source: "ticket")
        }
        let library = try libraries.add(Library(
            id: ticket.libraryID, name: ticket.libraryName, filterJSON: ticket.filter, secret: ticket.secret,
            createdAt: Int64(Date().timeIntervalSince1970 * 1000), lastAnnounceAt: nil, inviter: inviter))
        logger.info("joined library \(library.name) (\(library.id)) from node \(inviter.short)")
        return library
    }

    /// Where peers can reach this node: the transport's bound addresses.
    public func reachableAddresses() -> [String] {
        transport.localAddresses()
    }

    /// Serves until SIGINT/SIGTERM or cancellation.
    public func run() async throws {
        try transport.start()
        logger.info("transport \(transport.instance.name) listening on \(transport.localAddresses().joined(separator: ", "))")
        if let relay = configuration.relayURL {
            logger.warning("relay_url \(relay) is ignored: the transport plugin \(transport.instance.name) does not use a relay (peers are dialled directly at the addresses they announce)")
        }
        for plugin in plugins.instances(of: .discovery) {
            var error = csync_error()
            let status = plugin.descriptor.discovery.pointee.start(plugin.state, &error)
            if status != CSYNC_OK {
                logger.warning("discovery plugin \(plugin.name) did not start: \(error.text)")
            }
        }
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
        services.append(.init(service: network))
        services.append(.init(service: fetcher))
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
        SharingRoutes(node: self).register(on: router)
        PeerRoutes(node: self).register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.listenAddress.host, port: configuration.listenAddress.port),
                                 serverName: "can-sync/\(CANSyncVersion.current)"),
            onServerRunning: { [logger, configuration] _ in
                logger.info("CAN Sync API listening on http://\(configuration.listenAddress)")
            },
            logger: logger)
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
