import PluginAPI

/// The gossip protocol across all libraries of this node: checks every incoming message (format,
/// sender, MAC, timestamp, replay) before the library's `GossipTopic` sees it. Confined to the worker thread.
final class GossipEngine {
    /// At most this many "dropped message" log lines per interval, so a flood cannot flood the log.
    static let dropLogsPerInterval = 5

    private let selfID: [UInt8]
    private let settings: GossipSettings
    private var topics: [String: GossipTopic] = [:]
    private var localAddresses: [String] = []
    private var dropLogsLeft = dropLogsPerInterval
    private var effects: [GossipEffect] = []

    init(selfID: [UInt8], settings: GossipSettings) {
        self.selfID = selfID
        self.settings = settings
    }

    func library(_ event: LibraryMembership, now: UInt64, wallNow: UInt64) -> [GossipEffect] {
        let id = event.libraryID
        if !event.joined {
            guard let topic = topics.removeValue(forKey: id) else { return [] }
            return run(topic, now, wallNow) { $0.leave() }
                + [.log(CSYNC_LOG_INFO, "library \(id): left, gossip stopped")]
        }
        guard event.topicKey.count == 32 else {
            return [.log(CSYNC_LOG_ERROR, "library \(id): topic key is \(event.topicKey.count) bytes, expected 32; not gossiping")]
        }
        let bootstrap = event.bootstrapIDs + settings.bootstrap.map(\.nodeID)
        if let topic = topics[id], topic.topicKey == event.topicKey {
            topic.addBootstrap(bootstrap)
            return []
        }
        let topic = GossipTopic(libraryID: id, topicKey: event.topicKey, selfID: selfID, bootstrap: bootstrap,
                                settings: settings, now: now)
        topics[id] = topic
        return run(topic, now, wallNow) { $0.join() }
            + [.log(CSYNC_LOG_INFO, "library \(id): gossiping, \(bootstrap.count) bootstrap peer(s)")]
    }

    func message(from: [UInt8], _ bytes: [UInt8], now: UInt64, wallNow: UInt64) -> [GossipEffect] {
        let decoded: (message: GossipMessage, body: ArraySlice<UInt8>, mac: [UInt8])
        do {
            decoded = try GossipMessage.decode(bytes)
        } catch {
            return drop(from, "malformed: \(error)")
        }
        let message = decoded.message
        guard message.sender == from else { return drop(from, "sender field \(Hex.encode(message.sender).prefix(10)) is not the sending node") }
        guard let topic = topics[message.libraryID] else { return drop(from, "library \(message.libraryID) is not gossiped here") }
        guard topic.authenticator.isValid(mac: decoded.mac, recipient: selfID, body: decoded.body) else {
            return drop(from, "library \(message.libraryID): MAC check failed (the sender does not hold the library secret)")
        }
        let skew = wallNow > message.timestamp ? wallNow - message.timestamp : message.timestamp - wallNow
        guard skew <= settings.replayWindowMilliseconds else {
            return drop(from, "timestamp is \(skew) ms off the local clock (window \(settings.replayWindowMilliseconds) ms)")
        }
        guard topic.replay.firstSighting(decoded.mac, now: now, lifetime: 2 * settings.replayWindowMilliseconds) else {
            return drop(from, "replayed message")
        }
        return run(topic, now, wallNow) { $0.receive(message) }
    }

    func tick(now: UInt64, wallNow: UInt64, localAddresses: [String]) -> [GossipEffect] {
        self.localAddresses = localAddresses
        dropLogsLeft = Self.dropLogsPerInterval
        return topics.values.flatMap { topic in run(topic, now, wallNow) { $0.tick() } }
    }

    /// Leaves every library (on shutdown).
    func leaveAll(now: UInt64, wallNow: UInt64) -> [GossipEffect] {
        defer { topics.removeAll() }
        return topics.values.flatMap { topic in run(topic, now, wallNow) { $0.leave() } }
    }

    private func run(_ topic: GossipTopic, _ now: UInt64, _ wallNow: UInt64, _ body: (GossipTopic) -> Void) -> [GossipEffect] {
        topic.step(now: now, wallNow: wallNow, localAddresses: localAddresses, body)
    }

    private func drop(_ from: [UInt8], _ reason: String) -> [GossipEffect] {
        guard dropLogsLeft > 0 else { return [] }
        dropLogsLeft -= 1
        return [.log(CSYNC_LOG_DEBUG, "dropped gossip message from \(Hex.encode(from).prefix(10)): \(reason)")]
    }
}
