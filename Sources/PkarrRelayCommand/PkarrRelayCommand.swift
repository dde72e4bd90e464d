import ArgumentParser
import Foundation
import Logging
import PkarrRelay

/// `pkarr-relay`: serves pkarr's relay HTTP API from memory, for self-hosting and tests.
@main
struct PkarrRelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pkarr-relay",
        abstract: "A pkarr relay: PUT/GET /<z32-key> with signed packets, kept in memory (or a directory).",
        discussion: """
            Admin endpoints (loopback clients only): GET /_stats, DELETE /_stats, GET/PUT /_faults.
            PUT /_faults takes {"inject_429_every": N, "retry_after_secs": S, "inject_500_every": M}.
            """)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "TCP port to listen on (0 picks a free one).")
    var port = 6881

    @Option(name: .customLong("inject-429-every"), help: "Answer every Nth pkarr request with 429 (0: never).")
    var inject429Every = 0

    @Option(name: .customLong("retry-after"), help: "Retry-After seconds sent with injected 429s.")
    var retryAfter = 1

    @Option(name: .customLong("inject-500-every"), help: "Answer every Nth pkarr request with 500 (0: never).")
    var inject500Every = 0

    @Option(help: "Keep packets in this directory too, so they survive a restart (default: memory only).")
    var storageDir: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0...65535, got \(port)") }
        guard inject429Every >= 0, inject500Every >= 0, retryAfter >= 0 else {
            throw ValidationError("--inject-429-every, --inject-500-every and --retry-after must not be negative")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
    }

    func run() async throws {
        var logger = Logger(label: "pkarr-relay")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let faults = RelayFaults(inject429Every: inject429Every, retryAfterSeconds: retryAfter, inject500Every: inject500Every)
        let store = try storageDir.map { try RelayStore(directory: URL(fileURLWithPath: $0)) } ?? RelayStore()
        let server = PkarrRelayServer(store: store, faults: faults, logger: logger)
        let host = host
        try await server.run(host: host, port: port) { bound in
            FileHandle.standardOutput.write(Data("pkarr-relay listening on http://\(host):\(bound)\n".utf8))
        }
    }
}
