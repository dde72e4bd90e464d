import PluginAPI

/// HyParView membership for one library: a small active view of neighbours that exchange keepalives,
/// a larger passive view of backups, and what is known of each member. Confined to the worker thread.
///
/// JOIN makes the contact adopt the newcomer and start FORWARD_JOIN random walks through its active
/// view; NEIGHBOR asks for (or, with ACK, confirms or keeps alive) an active link; DISCONNECT ends one;
/// SHUFFLE walks a sample of members through the overlay and SHUFFLE_REPLY answers with a sample back.
/// A member's last-seen time moves forward only on news that traces back to the member itself, so a
/// departed node ages out everywhere once `peer_ttl_secs` has passed since anyone heard from it.
final class GossipTopic {
    /// Random-walk lengths, as in HyParView and iroh-gossip. There is no passive walk length: every member
    /// a message names joins the passive view as soon as it is learned.
    static let activeWalkLength: UInt8 = 6
    static let shuffleWalkLength: UInt8 = 3
    static let joinSampleSize = 8

    private struct Member {
        var addresses: [String]
        var lastSeen: UInt64
    }

    let libraryID: String
    let topicKey: [UInt8]
    let authenticator: GossipAuthenticator
    private let selfID: [UInt8]
    private let settings: GossipSettings
    private var bootstrap: [[UInt8]]
    private var bootstrapCursor = 0
    /// Bootstrap peers that have not sent anything yet: when each is asked again, and how often it was asked.
    private var unanswered: [[UInt8]: (attempts: Int, next: UInt64)] = [:]
    private(set) var active: [[UInt8]] = []
    private(set) var passive: [[UInt8]] = []
    private var members: [[UInt8]: Member] = [:]
    private var bucket: TokenBucket
    var replay = ReplayGuard()

    private var effects: [GossipEffect] = []
    private var now: UInt64 = 0
    private var wallNow: UInt64 = 0
    private var localAddresses: [String] = []

    init(libraryID: String, topicKey: [UInt8], selfID: [UInt8], bootstrap: [[UInt8]], settings: GossipSettings, now: UInt64) {
        self.libraryID = libraryID
        self.topicKey = topicKey
        self.authenticator = GossipAuthenticator(topicKey: topicKey)
        self.selfID = selfID
        self.settings = settings
        self.bootstrap = []
        self.bucket = TokenBucket(capacity: settings.maxMessagesPerInterval,
                                  intervalMilliseconds: settings.shuffleIntervalMilliseconds, now: now)
        addBootstrap(bootstrap)
    }

    /// Runs `body` at the given clocks and returns what it decided.
    func step(now: UInt64, wallNow: UInt64, localAddresses: [String], _ body: (GossipTopic) -> Void) -> [GossipEffect] {
        self.now = now
        self.wallNow = wallNow
        self.localAddresses = localAddresses
        body(self)
        defer { effects = [] }
        return effects
    }

    func addBootstrap(_ ids: [[UInt8]]) {
        for id in ids where id.count == 32 && id != selfID && !bootstrap.contains(id) {
            bootstrap.append(id)
            unanswered[id] = (attempts: 0, next: 0)
        }
    }

    // MARK: Timer and lifecycle

    /// Sends JOIN to every bootstrap peer.
    func join() {
        for peer in bootstrap { joinBootstrap(peer) }
    }

    /// Tells active neighbours this node leaves the library.
    func leave() {
        for peer in active { send(.disconnect, to: peer, records: [selfRecord]) }
        active.removeAll()
    }

    func tick() {
        for (id, member) in members where now &- member.lastSeen > settings.peerTTLMilliseconds {
            forget(id)
            effects.append(.log(CSYNC_LOG_DEBUG, "library \(libraryID): member \(Hex.encode(id).prefix(10)) not heard from in \(settings.peerTTLMilliseconds) ms, dropped"))
        }
        for id in active where now &- (members[id]?.lastSeen ?? 0) > settings.neighborTimeoutMilliseconds {
            demote(id)
        }
        for peer in active { send(.neighbor, flags: GossipMessage.flagAck, to: peer, records: [selfRecord]) }
        retryUnheardBootstrap()
        if active.isEmpty, !bootstrap.isEmpty {
            for offset in 0..<min(3, bootstrap.count) {
                send(.join, to: bootstrap[(bootstrapCursor + offset) % bootstrap.count], records: [selfRecord])
            }
            bootstrapCursor = (bootstrapCursor + 3) % bootstrap.count
        }
        if active.count < settings.activeViewSize, let candidate = passive.filter(isFresh).randomElement() {
            send(.neighbor, flags: active.isEmpty ? GossipMessage.flagHigh : 0, to: candidate, records: [selfRecord])
        }
        if let peer = active.randomElement() {
            let sample = active.filter { $0 != peer }.shuffled().prefix(3) + passive.filter(isFresh).shuffled().prefix(4)
            send(.shuffle, ttl: Self.shuffleWalkLength, to: peer, records: [selfRecord] + sample.compactMap(record))
        }
        replay.purge(now: now)
    }

    /// JOINs again, backing off, every bootstrap peer that never answered: a first JOIN can be lost (the
    /// host could not reach the peer yet), and a full active view would otherwise never ask again, leaving
    /// a peer with no bootstrap of its own (the library's creator) without news of this member.
    private func retryUnheardBootstrap() {
        for (peer, retry) in unanswered where now >= retry.next { joinBootstrap(peer) }
    }

    private func joinBootstrap(_ peer: [UInt8]) {
        if let retry = unanswered[peer] {
            unanswered[peer] = (retry.attempts + 1, now + (settings.shuffleIntervalMilliseconds << UInt64(min(retry.attempts, 5))))
        }
        send(.join, to: peer, records: [selfRecord])
    }

    // MARK: Receiving

    /// Handles an authenticated message from `message.sender`.
    func receive(_ received: GossipMessage) {
        // Ages grow by the time the message spent in transit (by the sender's clock), so a record never
        // looks fresher here than it was there; a clock running ahead only makes records look older.
        var message = received
        let transit = UInt32(clamping: wallNow > message.timestamp ? wallNow - message.timestamp : 0)
        for index in message.records.indices {
            let (aged, overflow) = message.records[index].ageMilliseconds.addingReportingOverflow(transit)
            message.records[index].ageMilliseconds = overflow ? .max : aged
        }
        let sender = message.sender
        unanswered[sender] = nil
        let subjectIsSender = message.subject.nodeID == sender
        learn(MemberRecord(nodeID: sender, ageMilliseconds: transit,
                           addresses: subjectIsSender ? message.subject.addresses : []))
        for record in message.records where record.nodeID != sender { learn(record) }

        switch message.kind {
        case .join:
            let added = addActive(sender)
            let sample = knownSample(Self.joinSampleSize, excluding: [sender])
            send(.neighbor, flags: GossipMessage.flagHigh | GossipMessage.flagAck, to: sender, records: [selfRecord] + sample)
            if added, let joiner = record(sender) {
                for peer in active where peer != sender {
                    send(.forwardJoin, ttl: Self.activeWalkLength, to: peer, records: [joiner])
                }
            }
        case .forwardJoin:
            let joiner = message.subject
            guard joiner.nodeID != selfID else { return }
            let next = active.filter { $0 != sender && $0 != joiner.nodeID }.randomElement()
            if message.ttl == 0 || active.count <= 1 || next == nil {
                if addActive(joiner.nodeID) {
                    send(.neighbor, flags: GossipMessage.flagHigh | GossipMessage.flagAck, to: joiner.nodeID, records: [selfRecord])
                }
            } else if let next {
                send(.forwardJoin, ttl: message.ttl - 1, to: next, records: [joiner])
            }
        case .neighbor:
            guard !active.contains(sender) else { return }
            if message.flags & GossipMessage.flagHigh != 0 || active.count < settings.activeViewSize {
                addActive(sender)
                if message.flags & GossipMessage.flagAck == 0 {
                    send(.neighbor, flags: GossipMessage.flagHigh | GossipMessage.flagAck, to: sender, records: [selfRecord])
                }
            } else {
                send(.disconnect, to: sender, records: [selfRecord])
            }
        case .disconnect:
            if active.contains(sender) { demote(sender) }
        case .shuffle:
            let origin = message.subject.nodeID
            guard origin != selfID else { return }
            if message.ttl > 0, let next = active.filter({ $0 != sender && $0 != origin }).randomElement() {
                send(.shuffle, ttl: message.ttl - 1, to: next, records: message.records)
            } else {
                let sample = knownSample(max(1, min(message.records.count - 1, Self.joinSampleSize)), excluding: [origin])
                send(.shuffleReply, to: origin, records: [selfRecord] + sample)
            }
        case .shuffleReply:
            break
        }
    }

    // MARK: Views

    private var selfRecord: MemberRecord {
        MemberRecord(nodeID: selfID, ageMilliseconds: 0, addresses: localAddresses)
    }

    private func record(_ id: [UInt8]) -> MemberRecord? {
        guard let member = members[id] else { return nil }
        return MemberRecord(nodeID: id, ageMilliseconds: UInt32(clamping: now &- member.lastSeen), addresses: member.addresses)
    }

    private func isFresh(_ id: [UInt8]) -> Bool {
        guard let member = members[id] else { return false }
        return now &- member.lastSeen <= settings.peerTTLMilliseconds
    }

    private func knownSample(_ count: Int, excluding: [[UInt8]]) -> [MemberRecord] {
        (active + passive).filter { isFresh($0) && !excluding.contains($0) }.shuffled().prefix(count).compactMap(record)
    }

    /// Takes in what a record says, if it is fresher than what is known. New members enter the passive view.
    private func learn(_ record: MemberRecord) {
        let id = record.nodeID
        guard id.count == 32, id != selfID, UInt64(record.ageMilliseconds) <= settings.peerTTLMilliseconds else { return }
        let seen = now &- min(now, UInt64(record.ageMilliseconds))
        if var member = members[id] {
            guard seen > member.lastSeen else { return }
            member.lastSeen = seen
            let moved = !record.addresses.isEmpty && record.addresses != member.addresses
            if moved { member.addresses = record.addresses }
            members[id] = member
            if moved { effects.append(.discovered(id, addresses: record.addresses)) }
        } else {
            members[id] = Member(addresses: record.addresses, lastSeen: seen)
            addPassive(id)
            if !record.addresses.isEmpty { effects.append(.discovered(id, addresses: record.addresses)) }
        }
    }

    /// Adds `id` to the active view, evicting a random neighbour when full. False if it was there already.
    @discardableResult
    private func addActive(_ id: [UInt8]) -> Bool {
        guard id != selfID, !active.contains(id), members[id] != nil else { return false }
        passive.removeAll { $0 == id }
        if active.count >= settings.activeViewSize, let victim = active.randomElement() {
            demote(victim)
            send(.disconnect, to: victim, records: [selfRecord])
        }
        active.append(id)
        return true
    }

    private func addPassive(_ id: [UInt8]) {
        guard !active.contains(id), !passive.contains(id) else { return }
        if passive.count >= settings.passiveViewSize,
           let stalest = passive.min(by: { (members[$0]?.lastSeen ?? 0) < (members[$1]?.lastSeen ?? 0) }) {
            forget(stalest)
        }
        passive.append(id)
    }

    private func demote(_ id: [UInt8]) {
        active.removeAll { $0 == id }
        addPassive(id)
    }

    private func forget(_ id: [UInt8]) {
        active.removeAll { $0 == id }
        passive.removeAll { $0 == id }
        members[id] = nil
    }

    // MARK: Sending

    private func send(_ kind: GossipMessage.Kind, flags: UInt8 = 0, ttl: UInt8 = 0, to peer: [UInt8], records: [MemberRecord]) {
        guard peer != selfID else { return }
        guard bucket.take(now: now) else { return }
        let message = GossipMessage(kind: kind, flags: flags, ttl: ttl, sender: selfID, timestamp: wallNow,
                                    libraryID: libraryID, records: records)
        effects.append(.send(to: peer, bytes: authenticator.seal(message, for: peer)))
    }
}
