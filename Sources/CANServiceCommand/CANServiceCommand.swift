import ArgumentParser
import CANStore
import Foundation
import Logging

/// `can-service`: runs the bundled CAN Service-compatible store as its own process.
@main
struct CANServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "can-service",
        abstract: "A CAN Service-compatible asset store (HTTP API on /api/v1/can/{index}).")

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (default: $CAN_PORT, else 3210).")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Directory for the database and content files.")
    var dataDirectory = "./can_service_data"

    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted; larger ones get 413.")
    var maxBodyBytes: Int64 = CANStoreConfiguration.defaultMaxBodyBytes

    @Flag(name: .customLong("no-partial-uploads"),
          help: "Serve only the CAN Service API itself, without the partial-upload extension.")
    var noPartialUploads = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        guard maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
    }

    func run() async throws {
        let port = try port ?? Self.environmentPort() ?? CANStoreConfiguration.defaultPort
        var logger = Logger(label: "can-service")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let configuration = CANStoreConfiguration(
            host: host, port: port, dataDirectory: dataDirectory, maxBodyBytes: maxBodyBytes,
            partialUploads: !noPartialUploads)
        let host = self.host
        let dataDirectory = self.dataDirectory
        let server = try CANStoreServer(configuration: configuration, logger: logger) { bound in
            let line = "can-service listening on http://\(host):\(bound)/api/v1/can/0 (data: \(dataDirectory))\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        try await server.runService()
    }

    private static func environmentPort() throws -> Int? {
        guard let text = ProcessInfo.processInfo.environment["CAN_PORT"], !text.isEmpty else { return nil }
        guard let port = Int(text), (0...65535).contains(port) else {
            throw ValidationError("CAN_PORT must be a port number, got '\(text)'")
        }
        return port
    }
}
