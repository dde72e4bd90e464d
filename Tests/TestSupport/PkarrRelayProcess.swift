import Foundation

/// A real `pkarr-relay` process on loopback, with its admin endpoints (`/_stats`, `/_faults`) for tests.
public final class PkarrRelayProcess: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let port: Int
    public let process: ChildProcess

    /// The base URL nodes are configured with; slot keys are appended as `/<z32>`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Starts the relay (extra command-line arguments, e.g. `--inject-429-every`) and waits until it listens.
    public init(arguments: [String] = [], timeout: TimeInterval = 20) async throws {
        directory = try TemporaryDirectory("pkarr-relay")
        port = LoopbackPorts.freeTCPPort()
        process = try ChildProcess(BuildProducts.executable("pkarr-relay"),
                                   ["--host", "127.0.0.1", "--port", String(port)] + arguments,
                                   logURL: directory.file("relay.log"))
        let banner = "listening on http://127.0.0.1:\(port)"
        let process = process
        let up = await eventually(timeout: timeout) { !process.isRunning || process.output.contains(banner) }
        guard up, process.isRunning else {
            process.stop()
            throw RelayError(description: "pkarr-relay did not start on port \(port):\n\(process.output)")
        }
    }

    /// `GET /_stats`: every pkarr request the relay has seen.
    public func statistics() async throws -> Statistics {
        let reply = try await TestHTTP.get("\(url)/_stats")
        guard reply.status == 200, let json = reply.json else {
            throw RelayError(description: "GET \(url)/_stats answered \(reply.status): \(reply.text)")
        }
        return Statistics(json)
    }

    /// `PUT /_faults`, e.g. `["inject_429_every": 3, "retry_after_secs": 2]`; `[:]` clears them.
    public func setFaults(_ faults: [String: Int]) async throws {
        let reply = try await TestHTTP.request("PUT", "\(url)/_faults", json: faults)
        guard reply.status == 200 else {
            throw RelayError(description: "PUT \(url)/_faults answered \(reply.status): \(reply.text)")
        }
    }

    public func stop() { process.stop() }

    deinit { process.stop() }

    /// The `GET /_stats` document.
    public struct Statistics: Sendable {
        /// One request the relay saw.
        public struct Request: Sendable {
            public var time: Double
            public var method: String
            public var key: String
            public var status: Int
            public var client: String
        }

        public var total: Int
        /// Oldest first.
        public var requests: [Request]

        init(_ json: [String: Any]) {
            total = json["total"] as? Int ?? 0
            requests = (json["requests"] as? [[String: Any]] ?? []).map { entry in
                Request(time: entry["time"] as? Double ?? 0, method: entry["method"] as? String ?? "",
                        key: entry["key"] as? String ?? "", status: entry["status"] as? Int ?? 0,
                        client: entry["client"] as? String ?? "")
            }
        }
    }

    public struct RelayError: Error, CustomStringConvertible {
        public let description: String
    }
}
