/// One message of range-based set reconciliation: parts covering consecutive ranges of the key
/// space, each from the previous part's upper bound (the zero key for the first) to its own.
/// Ranges after the last part need nothing.
///
/// Wire form: version u8 (= 1), then parts until the end, each `mode u8 ‖ bound ‖ payload`:
///
///     0 skip          (no payload)                 the range needs nothing
///     1 fingerprint   16 bytes                     compare with yours; answer if different
///     2 items         varint n ‖ n × (key ‖ value) my whole range; answer with an itemsReply
///     3 itemsReply    varint n ‖ n × (key ‖ value) ‖ varint m ‖ ⌈m/8⌉ bitmap bytes
///                     my items you lack or hold differently, and, for each of the m items you
///                     sent, a bit (LSB first) set when I lack it or hold it differently
///
/// Bounds strictly increase, and item keys are strictly increasing and inside their range.
public struct ReconcileMessage: Equatable, Sendable {
    public static let version: UInt8 = 1

    /// One range and what to do about it.
    public enum Part: Equatable, Sendable {
        case skip(upper: RangeBound)
        case fingerprint(upper: RangeBound, Fingerprint)
        case items(upper: RangeBound, [ReconcileItem])
        case itemsReply(upper: RangeBound, items: [ReconcileItem], wanted: [Bool])

        public var upper: RangeBound {
            switch self {
            case .skip(let upper), .fingerprint(let upper, _), .items(let upper, _), .itemsReply(let upper, _, _):
                return upper
            }
        }

        /// Whether the receiver must answer this part.
        public var expectsResponse: Bool {
            switch self {
            case .fingerprint, .items: return true
            case .skip, .itemsReply: return false
            }
        }

        var encodedSize: Int {
            switch self {
            case .skip(let upper): return 1 + upper.encodedSize
            case .fingerprint(let upper, _): return 1 + upper.encodedSize + 16
            case .items(let upper, let items): return 1 + upper.encodedSize + 5 + items.count * 64
            case .itemsReply(let upper, let items, let wanted):
                return 1 + upper.encodedSize + 10 + items.count * 64 + (wanted.count + 7) / 8
            }
        }
    }

    public var parts: [Part]

    public init(parts: [Part]) {
        self.parts = parts
    }

    /// Whether the peer must answer this message. A message that does not is the last one of
    /// the exchange: its sender is done once it is sent, its receiver once it is processed.
    public var expectsResponse: Bool { parts.contains { $0.expectsResponse } }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 1 + parts.reduce(0) { $0 + $1.encodedSize })
        writer.u8(Self.version)
        for part in parts {
            switch part {
            case .skip(let upper):
                writer.u8(0)
                upper.encode(into: &writer)
            case .fingerprint(let upper, let fingerprint):
                writer.u8(1)
                upper.encode(into: &writer)
                writer.raw(fingerprint.bytes)
            case .items(let upper, let items):
                writer.u8(2)
                upper.encode(into: &writer)
                Self.encode(items, into: &writer)
            case .itemsReply(let upper, let items, let wanted):
                writer.u8(3)
                upper.encode(into: &writer)
                Self.encode(items, into: &writer)
                writer.varint(wanted.count)
                var bitmap = [UInt8](repeating: 0, count: (wanted.count + 7) / 8)
                for (index, bit) in wanted.enumerated() where bit {
                    bitmap[index / 8] |= 1 << UInt8(index % 8)
                }
                writer.raw(bitmap)
            }
        }
        return writer.bytes
    }

    private static func encode(_ items: [ReconcileItem], into writer: inout ByteWriter) {
        writer.varint(items.count)
        for item in items {
            writer.bytes32(item.key)
            writer.bytes32(item.value)
        }
    }

    /// Decodes and validates the structure; throws `WireFormatError`.
    public init(decoding bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "reconcile message")
        let version = try reader.u8("version")
        guard version == Self.version else {
            throw WireFormatError(reader.context, offset: 0, "unsupported reconcile message version \(version) (this node speaks \(Self.version))")
        }
        var parts: [Part] = []
        var lower: RangeBound?
        while !reader.isAtEnd {
            let partOffset = reader.offset
            let mode = try reader.u8("part mode")
            guard mode <= 3 else { throw WireFormatError(reader.context, offset: partOffset, "unknown part mode \(mode)") }
            if let lower, lower.isInfinity {
                throw WireFormatError(reader.context, offset: partOffset, "part after the range that ends at infinity")
            }
            let upper = try RangeBound.decode(from: &reader)
            if let lower, !(lower < upper) {
                throw WireFormatError(reader.context, offset: partOffset, "range bound \(upper) does not exceed the previous bound \(lower)")
            }
            if lower == nil, !upper.isInfinity, upper.value == .zero {
                throw WireFormatError(reader.context, offset: partOffset, "first range is empty (bound is the zero key)")
            }
            switch mode {
            case 0:
                parts.append(.skip(upper: upper))
            case 1:
                parts.append(.fingerprint(upper: upper, Fingerprint(try reader.raw(16, "fingerprint"))!))
            case 2:
                parts.append(.items(upper: upper, try Self.decodeItems(&reader, lower: lower, upper: upper)))
            default:
                let items = try Self.decodeItems(&reader, lower: lower, upper: upper)
                let bitCount = try reader.count("wanted bit count", limit: reader.remaining * 8)
                let bitmapOffset = reader.offset
                let bitmap = Array(try reader.raw((bitCount + 7) / 8, "wanted bitmap"))
                let wanted = (0..<bitCount).map { bitmap[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }
                if bitCount % 8 != 0, let last = bitmap.last, last >> UInt8(bitCount % 8) != 0 {
                    throw WireFormatError(reader.context, offset: bitmapOffset, "wanted bitmap has bits set past its \(bitCount) entries")
                }
                parts.append(.itemsReply(upper: upper, items: items, wanted: wanted))
            }
            lower = upper
        }
        self.parts = parts
    }

    private static func decodeItems(_ reader: inout ByteReader, lower: RangeBound?, upper: RangeBound) throws -> [ReconcileItem] {
        let count = try reader.count("item count", limit: reader.remaining / 64)
        var items: [ReconcileItem] = []
        items.reserveCapacity(count)
        for index in 0..<count {
            let itemOffset = reader.offset
            let item = ReconcileItem(key: try reader.bytes32("item key"), value: try reader.bytes32("item value"))
            if let previous = items.last, !(previous.key < item.key) {
                throw WireFormatError(reader.context, offset: itemOffset, "item \(index) is not in strictly increasing key order")
            }
            if let lower, !lower.isInfinity, item.key < lower.value {
                throw WireFormatError(reader.context, offset: itemOffset, "item \(index) lies below its range")
            }
            if !upper.contains(item.key) {
                throw WireFormatError(reader.context, offset: itemOffset, "item \(index) lies above its range")
            }
            items.append(item)
        }
        return items
    }
}
