import Foundation
import PluginAPI

/// The ticket-files discovery method: publishes this node's ticket in a shared directory and reports
/// every other node whose ticket appears or changes there.
final class TicketDiscovery: Sendable {
    static let source = "ticket-files"

    let host: HostServices
    let settings: TicketSettings
    private let worker = PeriodicWorker()

    init(host: HostServices, settings: TicketSettings) {
        self.host = host
        self.settings = settings
    }

    func start() throws {
        do {
            try FileManager.default.createDirectory(atPath: settings.ticketDirectory, withIntermediateDirectories: true)
        } catch {
            throw PluginFailure(CSYNC_ERR_IO, "cannot create ticket_dir \(settings.ticketDirectory): \(error.localizedDescription)")
        }
        let host = host
        let settings = settings
        worker.start(name: "ticket-files", intervalMilliseconds: settings.pollIntervalMilliseconds) {
            let nodeID = host.nodeID
            let writer = OwnTicketWriter(path: settings.ownTicketFile, nodeID: nodeID)
            let scanner = TicketDirectoryScanner(directory: settings.ticketDirectory,
                                                 ignoring: settings.ownTicketFile, ownNodeID: nodeID)
            var lastWriteError: String?
            return {
                let writeError = writer.update(addresses: host.localAddresses())
                if let writeError, writeError != lastWriteError { host.log(CSYNC_LOG_ERROR, writeError) }
                lastWriteError = writeError
                for finding in scanner.scan() {
                    switch finding {
                    case .ticket(let ticket, let path):
                        host.log(CSYNC_LOG_DEBUG, "ticket \(path): node \(Hex.encode(ticket.nodeID)) at \(ticket.addresses.joined(separator: ", "))")
                        host.peerDiscovered(ticket.nodeID, addresses: ticket.addresses, source: Self.source)
                    case .malformed(let path, let reason):
                        host.log(CSYNC_LOG_WARNING, "skipping ticket file \(path): \(reason)")
                    }
                }
            }
        }
    }

    func shutdown() {
        worker.stop()
    }
}
