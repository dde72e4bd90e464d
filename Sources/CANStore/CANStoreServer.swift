import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The bundled CAN Service-compatible store as an embeddable server: give it a host, port and data
/// directory, then run it as a swift-service-lifecycle `Service` (for example inside the node's
/// `ServiceGroup`) or on its own with `runService()`.
///
/// ```swift
/// let store = try CANStoreServer(configuration: .init(port: 0, dataDirectory: "/var/lib/can"),
///                                onServerRunning: { port in print("store on \(port)") })
/// try await ServiceGroup(services: [store, node], logger: logger).run()
/// ```
///
/// The API lives under `/api/v1/can/{index}`; each index 0...1023 is a separate store (its own SQLite
/// database and content directory under `<dataDirectory>/index-N`), created on first use.
///
/// Opening the server opens index 0 (and any index already on disk), migrates its database and removes
/// uploads abandoned by an earlier process, so a failure there is thrown from `init`, not from `run`.
/// While it serves, partial uploads untouched for a week are removed every `staleSweepInterval`.
public final class CANStoreServer: Service, Sendable {
    public let configuration: CANStoreConfiguration
    private let registry: StoreRegistry
    private let logger: Logger
    private let onServerRunning: @Sendable (Int) async -> Void

    /// - Parameter onServerRunning: called with the bound port once the server accepts connections.
    public init(configuration: CANStoreConfiguration, logger: Logger = Logger(label: "can-store"),
                onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws {
        self.configuration = configuration
        self.logger = logger
        self.onServerRunning = onServerRunning
        registry = try StoreRegistry(dataDirectory: configuration.dataDirectory, logger: logger)
    }

    /// The Hummingbird application serving the API; add it to a `ServiceGroup` or run it directly.
    public func makeApplication() -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: EnvelopeErrorMiddleware())
        CANStoreRoutes(registry: registry, configuration: configuration).register(on: router)
        let onServerRunning = self.onServerRunning
        return Application(
            router: router,
            server: HTTPServerBuilder { responder in
                LargeReadsChannel(
                    inner: HTTP1Channel(responder: responder,
                                        configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
                    maximumRead: Self.maximumRead)
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                 serverName: "can-store"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// The most one read of a connection takes from its socket: twice NIO's default of 64 KiB, which
    /// saves about a twelfth of the store's CPU time per ingested byte (measured on 256 MiB uploads).
    /// Larger reads save a little more but hold more memory per connection: at 256 KiB, a node
    /// syncing a 1 GiB asset peaked above its 64 MiB budget.
    static let maximumRead = 128 << 10

    /// How often a running server looks for partial uploads untouched for a week.
    public static let staleSweepInterval: Duration = .seconds(3600)

    /// Serves until the task is cancelled or the surrounding `ServiceGroup` shuts down gracefully.
    public func run() async throws {
        try await sweepingStalePartialUploads { try await makeApplication().run() }
    }

    /// Serves until SIGTERM or SIGINT, as a stand-alone process does.
    public func runService() async throws {
        try await sweepingStalePartialUploads { try await makeApplication().runService() }
    }

    /// Runs `serve`, removing stale partial uploads every `staleSweepInterval` until it returns.
    private func sweepingStalePartialUploads(_ serve: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [registry] in
                while true {
                    try await Task.sleep(for: Self.staleSweepInterval)
                    registry.removeStalePartialUploads()
                }
            }
            try await serve()
            group.cancelAll()
        }
    }
}
