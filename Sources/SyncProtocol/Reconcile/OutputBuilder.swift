/// Collects reply parts: merges adjacent skips, drops trailing ones, and tracks the encoded
/// size against the message budget.
struct OutputBuilder {
    let maxBytes: Int
    private(set) var parts: [ReconcileMessage.Part] = []
    private var bytes = 1
    private var pendingSkip: RangeBound?

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// Whether the budget is spent (always false until something that needs an answer or
    /// carries data has been written, so every message makes progress).
    var isFull: Bool { bytes >= maxBytes }

    var remainingBytes: Int { max(0, maxBytes - bytes) }

    var message: ReconcileMessage { ReconcileMessage(parts: parts) }

    mutating func skip(_ upper: RangeBound) {
        pendingSkip = upper
    }

    mutating func fingerprint(_ upper: RangeBound, _ fingerprint: Fingerprint) {
        append(.fingerprint(upper: upper, fingerprint))
    }

    mutating func items(_ upper: RangeBound, _ items: [ReconcileItem]) {
        append(.items(upper: upper, items))
    }

    mutating func itemsReply(_ upper: RangeBound, _ items: [ReconcileItem], _ wanted: [Bool]) {
        append(.itemsReply(upper: upper, items: items, wanted: wanted))
    }

    private mutating func append(_ part: ReconcileMessage.Part) {
        if let skip = pendingSkip {
            let skipPart = ReconcileMessage.Part.skip(upper: skip)
            parts.append(skipPart)
            bytes += skipPart.encodedSize
            pendingSkip = nil
        }
        parts.append(part)
        bytes += part.encodedSize
    }
}
