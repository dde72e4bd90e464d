import Foundation
import Pkarr
import PluginAPI

/// The slot rendezvous, run on the plugin's own thread.
///
/// Every holder of the passphrase derives the same `slots` key pairs. A node reads every slot once per
/// scan interval, one read every interval/slots seconds, and reports each node id it finds in a live
/// slot. A slot is live while its packet's signed timestamp is younger than the TTL: relays keep and
/// serve old packets, so 200 versus 404 says nothing about liveness. After its first full scan a node
/// claims a free slot (empty, expired, or already holding its own id), starting at a slot picked from
/// its node id so that simultaneous joiners spread out. It publishes with timestamp
/// max(now, last seen + 1, own last + 1), reads the slot back until the relay serves its packet,
/// republishes every republish interval, and moves to another free slot as soon as a read shows a more
/// recent live packet of another node in its slot. A slot held by nobody but served stale is simply
/// overwritten; a conflict answer (409) triggers a read that decides between moving and retrying.
final class RendezvousAgent {
    private struct SlotView {
        var packet: SignedPacket?
        var announcement: SlotAnnouncement?
    }

    private let host: HostServices
    private let settings: PkarrDiscoverySettings
    private let keys: [Ed25519KeyPair]
    private let relays: RelayPool
    private let stop: StopSignal
    private let nodeID: [UInt8]

    private var views: [SlotView?]
    private var claimedSlot: Int?
    private var confirmed = false
    /// Our most recent packet in the claimed slot, once a relay accepted one.
    private var published: SignedPacket?
    private var lastPublishAt = Date.distantPast
    private var republishSoon = false
    private var confirmAt: Date?
    private var nextClaimAttempt = Date.distantPast
    private var nextReadSlot = 0
    private var nextReadAt = Date()
    /// Node id → timestamp of the packet it was last reported from.
    private var reported: [[UInt8]: UInt64] = [:]
    private var warnedAllTaken = false

    init(host: HostServices, settings: PkarrDiscoverySettings, keys: [Ed25519KeyPair], relays: RelayPool, stop: StopSignal) {
        self.host = host
        self.settings = settings
        self.keys = keys
        self.relays = relays
        self.stop = stop
        self.nodeID = host.nodeID
        self.views = Array(repeating: nil, count: keys.count)
    }

    private var readSpacing: Double { settings.scanIntervalSeconds / Double(keys.count) }
    /// The least time between two publishes, so a relay that keeps serving an old packet cannot cause a storm.
    private var minimumPublishGap: Double { max(readSpacing * 2, 1) }
    private var hasScannedEverySlot: Bool { views.allSatisfy { $0 != nil } }

    func run() {
        while !stop.isStopped {
            let now = Date()
            let relayReady = relays.readyTime(now: now)
            if relayReady > now {
                _ = stop.sleep(seconds: relayReady.timeIntervalSince(now))
                continue
            }
            if let due = confirmAt, now >= due {
                confirmAt = nil
                if let slot = claimedSlot { read(slot, confirming: true) }
                continue
            }
            if let due = maintenanceDue(), now >= due {
                if let slot = claimedSlot { publish(slot) } else { claim() }
                continue
            }
            if now >= nextReadAt {
                let slot = nextReadSlot
                nextReadSlot = (slot + 1) % keys.count
                nextReadAt = nextReadAt.addingTimeInterval(readSpacing)
                if nextReadAt < now.addingTimeInterval(-readSpacing) { nextReadAt = now.addingTimeInterval(readSpacing) }
                read(slot, confirming: false)
                continue
            }
            let wake = [nextReadAt, confirmAt, maintenanceDue()].compactMap { $0 }.min() ?? nextReadAt
            _ = stop.sleep(seconds: wake.timeIntervalSince(now))
        }
    }

    /// When the next claim or republish is due; nil while waiting for a scan or a confirmation.
    private func maintenanceDue() -> Date? {
        guard hasScannedEverySlot, confirmAt == nil else { return nil }
        guard claimedSlot != nil else { return nextClaimAttempt }
        let interval = republishSoon ? minimumPublishGap : settings.republishIntervalSeconds
        return lastPublishAt.addingTimeInterval(interval)
    }

    /// Reads one slot; a confirming read that gets no answer is retried after the relay's pause.
    private func read(_ slot: Int, confirming: Bool) {
        switch relays.read(keys[slot].publicKey) {
        case .unavailable:
            if confirming { confirmAt = Date().addingTimeInterval(readSpacing) }
            return
        case .empty:
            views[slot] = SlotView(packet: nil, announcement: nil)
        case .packet(let packet):
            views[slot] = SlotView(packet: packet, announcement: SlotAnnouncement(packet))
        }
        examine(slot)
    }

    private func examine(_ slot: Int) {
        guard let view = views[slot] else { return }
        guard let packet = view.packet, isLive(packet), let announcement = view.announcement else {
            if slot == claimedSlot && published != nil {
                host.log(CSYNC_LOG_DEBUG, "pkarr: slot \(slot) does not serve this node's packet; republishing")
                republishSoon = true
                confirmed = false
            }
            return
        }
        if announcement.nodeID == nodeID {
            examineOwn(packet, in: slot)
            return
        }
        report(announcement, packet)
        guard slot == claimedSlot else { return }
        if let published, !packet.isMoreRecent(than: published) {
            // The relay serves an older packet than the one it accepted from us: it kept the old one.
            republishSoon = true
            confirmed = false
            return
        }
        host.log(CSYNC_LOG_INFO, "pkarr: slot \(slot) is held by live node \(announcement.nodeID.hexEncoded.prefix(10)); moving to a free slot")
        claimedSlot = nil
        confirmed = false
        published = nil
        confirmAt = nil
        nextClaimAttempt = Date()
    }

    private func examineOwn(_ packet: SignedPacket, in slot: Int) {
        switch claimedSlot {
        case nil:
            host.log(CSYNC_LOG_INFO, "pkarr: slot \(slot) still holds this node's earlier claim; taking it back")
            claimedSlot = slot
            published = packet
            republishSoon = true
        case slot?:
            if let published, published.isMoreRecent(than: packet) {
                republishSoon = true
                confirmed = false
            } else {
                published = packet
                if !confirmed {
                    confirmed = true
                    host.log(CSYNC_LOG_INFO, "pkarr: holding rendezvous slot \(slot) (key \(keys[slot].publicKey.zBase32))")
                }
            }
        default:
            break
        }
    }

    private func claim() {
        let start = (Int(nodeID[0]) << 8 | Int(nodeID[1])) % keys.count
        let order = (0..<keys.count).map { (start + $0) % keys.count }
        guard let slot = order.first(where: isFree) else {
            if !warnedAllTaken {
                host.log(CSYNC_LOG_WARNING, "pkarr: all \(keys.count) slots are held by live nodes; still scanning, will claim one when it frees up")
                warnedAllTaken = true
            }
            nextClaimAttempt = Date().addingTimeInterval(settings.scanIntervalSeconds)
            return
        }
        warnedAllTaken = false
        claimedSlot = slot
        confirmed = false
        published = nil
        publish(slot)
    }

    private func isFree(_ slot: Int) -> Bool {
        guard let view = views[slot] else { return false }
        guard let packet = view.packet, isLive(packet), let announcement = view.announcement else { return true }
        return announcement.nodeID == nodeID
    }

    private func publish(_ slot: Int) {
        let now = Date()
        lastPublishAt = now
        republishSoon = false
        let seen = views[slot]?.packet?.timestamp ?? 0
        let timestamp = max(PkarrClock.nowMicroseconds(), seen + 1, (published?.timestamp ?? 0) + 1)
        let announcement = SlotAnnouncement(nodeID: nodeID, addresses: host.localAddresses())
        let key = keys[slot]
        let packet: SignedPacket
        do {
            packet = try SignedPacket(keyPair: key, timestamp: timestamp,
                                      records: announcement.records(ttl: UInt32(settings.ttlSeconds), origin: key.publicKey.zBase32))
        } catch {
            host.log(CSYNC_LOG_ERROR, "pkarr: cannot build the packet for slot \(slot): \(error)")
            return
        }
        switch relays.publish(packet) {
        case .accepted:
            published = packet
            // Reading back costs a request; once the relay has served our packet, the regular scan of
            // this slot is check enough.
            if !confirmed { confirmAt = now.addingTimeInterval(readSpacing) }
        case .conflict:
            confirmAt = now
        case .failed:
            republishSoon = true
        }
    }

    private func report(_ announcement: SlotAnnouncement, _ packet: SignedPacket) {
        guard reported[announcement.nodeID] != packet.timestamp else { return }
        if reported[announcement.nodeID] == nil {
            host.log(CSYNC_LOG_INFO, "pkarr: found node \(announcement.nodeID.hexEncoded.prefix(10)) at \(announcement.addresses.joined(separator: ", "))")
        }
        reported[announcement.nodeID] = packet.timestamp
        host.peerDiscovered(announcement.nodeID, addresses: announcement.addresses, source: PkarrDiscovery.source)
    }

    private func isLive(_ packet: SignedPacket) -> Bool {
        Double(packet.timestamp) + settings.ttlSeconds * 1_000_000 >= Double(PkarrClock.nowMicroseconds())
    }
}
