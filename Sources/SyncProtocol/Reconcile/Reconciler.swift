/// Range-based set reconciliation (after Aljoscha Meyer's RBSR, as in negentropy and iroh-docs)
/// of one side's `ReconcileSet` against a peer's, over any message stream.
///
/// Each side learns which keys it must send (`sendKeys`: the peer lacks them or holds a
/// different value) and which the peer will send (`needKeys`). A key both sides hold with
/// different values is in both sets on both sides: each side sends its entry and the receiver
/// keeps the winner by the `SyncEntry` conflict rule.
///
/// Driving it (the same loop on both sides; the initiator first sends `initialMessage()`):
///
///     while true {
///         let message = try ReconcileMessage(decoding: receive())
///         guard let reply = try reconciler.respond(to: message) else { break }
///         send(reply.encoded())
///         if !reply.expectsResponse { break }
///     }
///
/// Mismatching ranges with more than `itemThreshold` items split into `branching` parts by
/// count; smaller ones are sent as item lists, which the peer answers once with what differs.
/// Identical sets cost one round trip of a 19-byte message and a 1-byte reply.
public struct Reconciler: Sendable {
    /// Tuning; both sides may use different values.
    public struct Configuration: Sendable, Equatable {
        /// Parts a mismatching range splits into.
        public var branching: Int
        /// Ranges with at most this many local items are sent as item lists.
        public var itemThreshold: Int
        /// An item list is answered with an itemsReply when this side holds at most this many
        /// items in the range; larger ranges are split first, bounding every part.
        public var maxReplyItems: Int
        /// Soft cap on an outgoing message: parts that do not fit are folded into one
        /// fingerprint over the rest of the key space and reconciled in later rounds.
        public var maxMessageBytes: Int

        public init(branching: Int = 16, itemThreshold: Int = 16, maxReplyItems: Int = 256, maxMessageBytes: Int = 512 * 1024) {
            precondition(branching >= 2 && itemThreshold >= 1 && maxReplyItems >= itemThreshold && maxMessageBytes >= 1024)
            self.branching = branching
            self.itemThreshold = itemThreshold
            self.maxReplyItems = maxReplyItems
            self.maxMessageBytes = maxMessageBytes
        }
    }

    public let set: ReconcileSet
    public let configuration: Configuration
    /// Keys whose local entries the peer lacks or holds a different version of: send them.
    public private(set) var sendKeys: Set<Bytes32> = []
    /// Keys the peer holds that this side lacks or holds differently: the peer sends them.
    public private(set) var needKeys: Set<Bytes32> = []
    /// True once the exchange is over for this side.
    public private(set) var isComplete = false
    /// Messages produced (including the initial one) and received, for logs and measurements.
    public private(set) var messagesSent = 0
    public private(set) var messagesReceived = 0

    public init(set: ReconcileSet, configuration: Configuration = Configuration()) {
        self.set = set
        self.configuration = configuration
    }

    /// The initiator's first message: the whole set's fingerprint, or its items when few.
    public mutating func initialMessage() -> ReconcileMessage {
        messagesSent += 1
        if set.count <= configuration.itemThreshold {
            return ReconcileMessage(parts: [.items(upper: .infinity, set.items)])
        }
        return ReconcileMessage(parts: [.fingerprint(upper: .infinity, set.fingerprint)])
    }

    /// Processes the peer's message. Returns the reply to send, or nil when the exchange is
    /// over (nothing to send). After sending a reply whose `expectsResponse` is false, the
    /// exchange is also over. Throws `ReconcileError` when the message contradicts this side.
    public mutating func respond(to message: ReconcileMessage) throws -> ReconcileMessage? {
        guard !isComplete else { throw ReconcileError("received a reconcile message after the exchange was complete") }
        messagesReceived += 1
        var output = OutputBuilder(maxBytes: configuration.maxMessageBytes)
        var lowerIndex = 0
        // Index where the budget ran out; parts from there on are answered by one fingerprint.
        var foldedFrom: Int?
        for part in message.parts {
            let upper = part.upper
            let upperIndex = set.index(of: upper)
            let range = lowerIndex..<upperIndex
            if part.expectsResponse, foldedFrom == nil, output.isFull {
                foldedFrom = lowerIndex
            }
            switch part {
            case .skip:
                if foldedFrom == nil { output.skip(upper) }
            case .fingerprint(_, let fingerprint):
                if foldedFrom != nil { break }
                if set.fingerprint(range) == fingerprint {
                    output.skip(upper)
                } else {
                    describe(upper: upper, range: range, into: &output)
                }
            case .items(_, let remote):
                if foldedFrom != nil { break }
                answer(remote, upper: upper, range: range, into: &output)
            case .itemsReply(_, let remote, let wanted):
                try absorb(remote, wanted: wanted, range: range)
                if foldedFrom == nil { output.skip(upper) }
            }
            lowerIndex = upperIndex
        }
        if let folded = foldedFrom {
            // The pending skip already reaches the bound where the first unanswered part begins.
            output.fingerprint(.infinity, set.fingerprint(folded..<set.count))
        }
        guard message.expectsResponse else {
            isComplete = true
            return nil
        }
        let reply = output.message
        messagesSent += 1
        if !reply.expectsResponse { isComplete = true }
        return reply
    }

    /// A mismatching range: an item list when small, else `branching` fingerprinted parts.
    private func describe(upper: RangeBound, range: Range<Int>, into output: inout OutputBuilder) {
        if range.count <= configuration.itemThreshold {
            output.items(upper, Array(set.items[range]))
            return
        }
        // Never more parts than items, so every part is non-empty and bounds strictly increase.
        let parts = min(configuration.branching, range.count)
        var start = range.lowerBound
        for index in 1...parts {
            let end = index == parts ? range.upperBound : range.lowerBound + range.count * index / parts
            let bound = index == parts ? upper : RangeBound.separating(set.items[end - 1].key, set.items[end].key)
            output.fingerprint(bound, set.fingerprint(start..<end))
            start = end
        }
    }

    /// The peer's item list for a range: record the differences, reply with them.
    private mutating func answer(_ remote: [ReconcileItem], upper: RangeBound, range: Range<Int>, into output: inout OutputBuilder) {
        if range.count > configuration.maxReplyItems {
            if remote.isEmpty {
                stream(upper: upper, range: range, into: &output)
            } else {
                describe(upper: upper, range: range, into: &output)
            }
            return
        }
        let local = set.items[range]
        var replyItems: [ReconcileItem] = []
        var wanted = [Bool](repeating: false, count: remote.count)
        var localIndex = local.startIndex
        var remoteIndex = 0
        while localIndex < local.endIndex || remoteIndex < remote.count {
            if remoteIndex == remote.count || localIndex < local.endIndex && local[localIndex].key < remote[remoteIndex].key {
                sendKeys.insert(local[localIndex].key)
                replyItems.append(local[localIndex])
                localIndex += 1
            } else if localIndex == local.endIndex || remote[remoteIndex].key < local[localIndex].key {
                needKeys.insert(remote[remoteIndex].key)
                wanted[remoteIndex] = true
                remoteIndex += 1
            } else {
                if local[localIndex].value != remote[remoteIndex].value {
                    sendKeys.insert(local[localIndex].key)
                    needKeys.insert(remote[remoteIndex].key)
                    replyItems.append(local[localIndex])
                    wanted[remoteIndex] = true
                }
                localIndex += 1
                remoteIndex += 1
            }
        }
        if replyItems.isEmpty && !wanted.contains(true) {
            output.skip(upper)
        } else {
            output.itemsReply(upper, replyItems, wanted)
        }
    }

    /// A large range the peer holds nothing of (a new member joining, say): send as many items
    /// as the budget allows, and a fingerprint for the rest, which the peer answers with another
    /// empty item list. Each round trip then carries a full message of items.
    private mutating func stream(upper: RangeBound, range: Range<Int>, into output: inout OutputBuilder) {
        let room = max(configuration.maxReplyItems, output.remainingBytes / 64)
        guard range.count > room else {
            for item in set.items[range] { sendKeys.insert(item.key) }
            output.itemsReply(upper, Array(set.items[range]), [])
            return
        }
        let cut = range.lowerBound + room
        for item in set.items[range.lowerBound..<cut] { sendKeys.insert(item.key) }
        output.itemsReply(RangeBound.separating(set.items[cut - 1].key, set.items[cut].key),
                          Array(set.items[range.lowerBound..<cut]), [])
        output.fingerprint(upper, set.fingerprint(cut..<range.upperBound))
    }

    /// The peer's answer to an item list this side sent for `range`.
    private mutating func absorb(_ remote: [ReconcileItem], wanted: [Bool], range: Range<Int>) throws {
        guard wanted.count == range.count else {
            throw ReconcileError("the peer's reply covers \(wanted.count) items where this side sent \(range.count)")
        }
        for (offset, bit) in wanted.enumerated() where bit {
            sendKeys.insert(set.items[range.lowerBound + offset].key)
        }
        for item in remote {
            needKeys.insert(item.key)
        }
    }
}
