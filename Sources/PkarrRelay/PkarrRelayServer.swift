import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A pkarr relay (the HTTP API public relays offer, minus the DHT), storing packets in memory and
/// optionally in a directory.
/// Runs in-process for tests via `start`, or as the `pkarr-relay` executable via `run`.
public final class PkarrRelayServer: Sendable {
    public let store: RelayStore
    public let statistics = RelayStatistics()
    private let injector: FaultInjector
    private let logger: Logger

    /// A relay keeping packets in memory, or also in `store`'s directory.
    public init(store: RelayStore = RelayStore(), faults: RelayFaults = RelayFaults(), logger: Logger = Logger(label: "pkarr-relay")) {
        self.store = store
        injector = FaultInjector(faults)
        self.logger = logger
    }

    /// The fault-injection switches; changing them restarts request numbering.
    public var faults: RelayFaults {
        get { injector.faults }
        set { injector.faults = newValue }
    }

    /// Serves on host:port until the task is cancelled or SIGINT/SIGTERM arrives; `onRunning` gets the bound port.
    public func run(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await application(host: host, port: port, onRunning: onRunning).runService()
    }

    /// Starts serving in this process on a background task and returns once the socket is bound.
    /// Port 0 picks a free port; the handle reports the one chosen.
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> RunningPkarrRelay {
        let (bound, continuation) = AsyncStream<Int>.makeStream()
        let app = application(host: host, port: port) { port in continuation.yield(port) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        for await port in bound {
            return RunningPkarrRelay(host: host, port: port, group: group, task: task)
        }
        _ = try await task.value
        throw RelayStartError(host: host, port: port)
    }

    private func application(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void)
        -> some ApplicationProtocol {
        let router = PkarrRelayRouter(store: store, statistics: statistics, injector: injector).build()
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "pkarr-relay"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}

/// A relay started in-process; `stop` shuts it down.
public struct RunningPkarrRelay: Sendable {
    public let host: String
    public let port: Int
    let group: ServiceGroup
    let task: Task<Void, Error>

    /// The base URL clients append `/<z32>` to.
    public var url: String { "http://\(host):\(port)" }

    /// Closes the listener and open connections, then waits for the server to finish.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// The relay's server task ended before its socket was bound.
public struct RelayStartError: Error, CustomStringConvertible {
    public let host: String
    public let port: Int
    public var description: String { "pkarr relay could not listen on \(host):\(port) (is the port in use?)" }
}
