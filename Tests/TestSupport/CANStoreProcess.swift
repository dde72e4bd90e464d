import Foundation

/// A real `can-service` process on a free loopback port with its own data directory, for tests that need
/// a store. `restart()` reuses the directory (and port), as a store coming back after a stop or crash would.
public final class CANStoreProcess: @unchecked Sendable {
    public let dataDirectory: URL
    public let port: Int
    public let extraArguments: [String]
    public private(set) var child: ChildProcess?
    private var starts = 0

    /// `http://127.0.0.1:PORT/api/v1/can/0`.
    public var baseURL: String { baseURL(index: 0) }
    public func baseURL(index: Int) -> String { "http://127.0.0.1:\(port)/api/v1/can/\(index)" }

    public init(dataDirectory: URL, port: Int = LoopbackPorts.freeTCPPort(), extraArguments: [String] = []) async throws {
        self.dataDirectory = dataDirectory
        self.port = port
        self.extraArguments = extraArguments
        try await start()
    }

    /// Starts the process and waits until it accepts connections.
    public func start() async throws {
        starts += 1
        let log = dataDirectory.deletingLastPathComponent()
            .appendingPathComponent("\(dataDirectory.lastPathComponent)-can-service-\(starts).log")
        let child = try ChildProcess(
            BuildProducts.executable("can-service"),
            ["--host", "127.0.0.1", "--data-dir", dataDirectory.path] + extraArguments,
            environment: ["CAN_PORT": String(port)], logURL: log)
        self.child = child
        let ready = await eventually(timeout: 20) { child.output.contains("can-service listening on") || !child.isRunning }
        guard ready, child.isRunning else {
            throw CANStoreProcessError(message: "can-service did not start on port \(port):\n\(child.output)")
        }
    }

    /// Stops gracefully and starts again on the same data directory and port.
    public func restart() async throws {
        child?.stop()
        try await start()
    }

    public func stop() { child?.stop() }

    /// SIGKILL, as a crash would.
    public func kill9() { child?.kill9() }

    /// The store's output so far, for failure messages.
    public var output: String { child?.output ?? "" }

    deinit { child?.stop() }
}

/// The store process could not be started.
public struct CANStoreProcessError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
