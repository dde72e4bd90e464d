import Dispatch
import Foundation
import Pkarr
import PluginAPI
import Synchronization

/// The pkarr discovery method: nodes that share `sync_passphrase` find each other through rendezvous
/// slots on pkarr relays, with no ticket exchange. With an empty passphrase it stays idle.
final class PkarrDiscovery: Sendable {
    static let source = "pkarr"

    let host: HostServices
    let settings: PkarrDiscoverySettings
    private let stop = StopSignal()
    private let started = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    init(host: HostServices, settings: PkarrDiscoverySettings) {
        self.host = host
        self.settings = settings
        if host.syncPassphrase.isEmpty {
            host.log(CSYNC_LOG_INFO, "pkarr: sync_passphrase is empty; the plugin stays idle and contacts no relay")
        }
    }

    func start() throws {
        guard !host.syncPassphrase.isEmpty else { return }
        let first = started.withLock { started in
            defer { started = true }
            return !started
        }
        guard first else { return }
        let host = host
        let settings = settings
        let stop = stop
        let finished = finished
        let thread = Thread {
            defer { finished.signal() }
            let began = Date()
            let keys: [Ed25519KeyPair]
            let client: RelayHTTPClient
            do {
                keys = try SlotKeys.derive(passphrase: host.syncPassphrase, count: settings.slots)
                client = try RelayHTTPClient(userAgent: "can-sync-pkarr/1.0 (node \(host.nodeID.hexEncoded.prefix(10)))", stop: stop)
            } catch {
                host.log(CSYNC_LOG_ERROR, "pkarr: cannot start: \(error)")
                return
            }
            host.log(CSYNC_LOG_INFO, "pkarr: derived \(keys.count) slot keys in \(Int(Date().timeIntervalSince(began) * 1000)) ms; scanning \(settings.relays.joined(separator: ", "))")
            let relays = RelayPool(relays: settings.relays, client: client, host: host)
            RendezvousAgent(host: host, settings: settings, keys: keys, relays: relays, stop: stop).run()
        }
        thread.name = "pkarr-discovery"
        thread.start()
    }

    /// Stops the thread (aborting a transfer in flight) and waits for it.
    func shutdown() {
        stop.stop()
        if started.withLock({ $0 }) { finished.wait() }
    }
}
