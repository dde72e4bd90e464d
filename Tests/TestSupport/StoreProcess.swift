import Foundation

/// A real `can-service` process on a free loopback port with its own data directory.
public final class StoreProcess: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let port: Int
    public private(set) var process: ChildProcess?

    /// The API base URL, as a node's `can_service_url`.
    public var baseURL: String { "http://127.0.0.1:\(port)/api/v1/can/0" }

    public init(label: String = "store") throws {
        directory = try TemporaryDirectory(label)
        port = LoopbackPorts.freeTCPPort()
    }

    /// Starts the store and waits until `/health` answers.
    public func start(timeout: TimeInterval = 20) async throws {
        let child = try ChildProcess(BuildProducts.executable("can-service"),
                                     ["--port", String(port), "--data-dir", directory.file("data").path],
                                     logURL: directory.file("store.log"))
        process = child
        let up = await eventually(timeout: timeout) { await TestHTTP.isUp("\(baseURL)/health") }
        guard up, child.isRunning else {
            throw NodeProcess.NodeStartError(message: "can-service did not start:\n\(child.output)")
        }
    }

    public func stop() { process?.stop() }

    deinit { process?.stop() }
}
