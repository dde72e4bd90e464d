import Dispatch
import Foundation
import PluginAPI
import Synchronization

/// The gossip discovery method: members of a library tell each other which members exist and where
/// they listen. One worker thread owns all protocol state and makes every host call.
final class GossipDiscovery: Sendable {
    static let source = "gossip"

    let host: HostServices
    let settings: GossipSettings
    private let inbox = GossipInbox()
    private let started = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    init(host: HostServices, settings: GossipSettings) {
        self.host = host
        self.settings = settings
    }

    func start() {
        let first = started.withLock { started in
            defer { started = true }
            return !started
        }
        guard first else { return }
        let inbox = inbox
        host.subscribeLibraries { inbox.post(.library($0)) }
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "gossip"
        thread.start()
    }

    func received(from: [UInt8], _ bytes: [UInt8]) {
        inbox.post(.message(from: from, bytes: bytes))
    }

    /// Stops the worker after it tells its neighbours it is leaving.
    func shutdown() {
        inbox.stop()
        if started.withLock({ $0 }) { finished.wait() }
    }

    private func run() {
        let engine = GossipEngine(selfID: host.nodeID, settings: settings)
        for peer in settings.bootstrap where !peer.addresses.isEmpty {
            host.peerDiscovered(peer.nodeID, addresses: peer.addresses, source: Self.source)
        }
        var nextTick = Clocks.monotonic()
        while true {
            let (events, stopped) = inbox.drain()
            let now = Clocks.monotonic()
            let wall = Clocks.wall()
            var effects: [GossipEffect] = []
            for event in events {
                switch event {
                case .message(let from, let bytes): effects += engine.message(from: from, bytes, now: now, wallNow: wall)
                case .library(let membership): effects += engine.library(membership, now: now, wallNow: wall)
                }
            }
            if stopped {
                perform(effects + engine.leaveAll(now: now, wallNow: wall))
                return
            }
            if now >= nextTick {
                effects += engine.tick(now: now, wallNow: wall, localAddresses: host.localAddresses())
                nextTick = now + settings.shuffleIntervalMilliseconds
            }
            perform(effects)
            let current = Clocks.monotonic()
            if nextTick > current { inbox.wait(milliseconds: nextTick - current) }
        }
    }

    private func perform(_ effects: [GossipEffect]) {
        for effect in effects {
            switch effect {
            case .send(let peer, let bytes): host.sendMessage(to: peer, bytes)
            case .discovered(let peer, let addresses): host.peerDiscovered(peer, addresses: addresses, source: Self.source)
            case .log(let level, let message): host.log(level, message)
            }
        }
    }
}

/// The two clocks gossip needs: monotonic for ages and timers, wall time for message timestamps.
enum Clocks {
    static func monotonic() -> UInt64 { DispatchTime.now().uptimeNanoseconds / 1_000_000 }
    static func wall() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}
