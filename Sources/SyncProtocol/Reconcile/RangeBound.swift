/// An exclusive upper bound in the key space: either a key prefix (compared as the prefix
/// padded with zero bytes, so keys below it are exactly the keys that sort before the prefix)
/// or infinity. Ranges in a `ReconcileMessage` run from the previous part's bound (the zero key
/// for the first) up to their own.
///
/// Wire form: a length byte 0...32 followed by that many prefix bytes, or 0xFF for infinity.
/// Bounds between two items use the shortest prefix that separates them, a few bytes even in
/// sets of millions.
public struct RangeBound: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The prefix padded with zeros (ignored for infinity).
    public let value: Bytes32
    /// Prefix bytes written on the wire (0...32).
    public let prefixLength: Int
    public let isInfinity: Bool

    public static let infinity = RangeBound(value: .zero, prefixLength: 0, isInfinity: true)
    static let infinityTag: UInt8 = 0xFF

    init(value: Bytes32, prefixLength: Int, isInfinity: Bool = false) {
        self.value = value
        self.prefixLength = prefixLength
        self.isInfinity = isInfinity
    }

    /// The first `prefixLength` bytes of `key` as a bound.
    init(prefixOf key: Bytes32, length: Int) {
        precondition((0...32).contains(length))
        var bytes = key.bytes
        for index in length..<32 {
            bytes[index] = 0
        }
        self.init(value: Bytes32(bytes)!, prefixLength: length)
    }

    /// The shortest bound `b` with `lower < b <= upper`, for adjacent keys `lower < upper`.
    public static func separating(_ lower: Bytes32, _ upper: Bytes32) -> RangeBound {
        var shared = 0
        while shared < 31 && lower[shared] == upper[shared] {
            shared += 1
        }
        return RangeBound(prefixOf: upper, length: shared + 1)
    }

    /// Whether `key` lies below this bound.
    @inlinable public func contains(_ key: Bytes32) -> Bool {
        isInfinity || key < value
    }

    public static func < (lhs: RangeBound, rhs: RangeBound) -> Bool {
        if lhs.isInfinity { return false }
        if rhs.isInfinity { return true }
        return lhs.value < rhs.value
    }

    public static func == (lhs: RangeBound, rhs: RangeBound) -> Bool {
        lhs.isInfinity == rhs.isInfinity && (lhs.isInfinity || lhs.value == rhs.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(isInfinity)
        if !isInfinity { hasher.combine(value) }
    }

    public var description: String {
        isInfinity ? "∞" : Hex.encode(value.bytes.prefix(prefixLength))
    }

    var encodedSize: Int { isInfinity ? 1 : 1 + prefixLength }

    func encode(into writer: inout ByteWriter) {
        if isInfinity {
            writer.u8(Self.infinityTag)
        } else {
            writer.u8(UInt8(prefixLength))
            writer.raw(value.bytes.prefix(prefixLength))
        }
    }

    static func decode(from reader: inout ByteReader) throws -> RangeBound {
        let start = reader.offset
        let length = try reader.u8("range bound length")
        if length == infinityTag { return .infinity }
        guard length <= 32 else {
            throw WireFormatError(reader.context, offset: start, "range bound length \(length) is neither 0...32 nor 0xFF")
        }
        let prefix = try reader.raw(Int(length), "range bound")
        // A zero final byte would make two encodings of one bound; the encoder never writes one.
        if let last = prefix.last, last == 0 {
            throw WireFormatError(reader.context, offset: start, "range bound ends in a redundant zero byte")
        }
        return RangeBound(value: Bytes32(Array(prefix) + [UInt8](repeating: 0, count: 32 - Int(length)))!,
                          prefixLength: Int(length))
    }
}
