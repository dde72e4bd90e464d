/// Exactly 32 bytes: an asset hash, a digest, a key or a nonce. Ordered lexicographically by byte,
/// which is the order range-based reconciliation sorts its key space in.
///
/// Stored as four big-endian 64-bit words so that comparison and hashing stay cheap for the
/// hundred-thousand-item sets reconciliation sorts.
public struct Bytes32: Hashable, Comparable, Sendable, CustomStringConvertible {
    @usableFromInline var w0: UInt64
    @usableFromInline var w1: UInt64
    @usableFromInline var w2: UInt64
    @usableFromInline var w3: UInt64

    /// All zero bytes: the smallest value, the lower bound of the key space.
    public static let zero = Bytes32(w0: 0, w1: 0, w2: 0, w3: 0)

    @inlinable init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// Takes exactly 32 bytes; returns nil for any other count.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() {
            words[index / 8] = words[index / 8] << 8 | UInt64(byte)
        }
        self.init(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
    }

    /// Parses 64 hex digits (either case); returns nil for anything else.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), let value = Bytes32(bytes) else { return nil }
        self = value
    }

    /// The 32 bytes in order.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in [w0, w1, w2, w3] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return out
    }

    /// Lowercase hex, 64 digits.
    public var hex: String { Hex.encode(bytes) }

    public var description: String { hex }

    /// Byte `index` (0...31).
    @inlinable public subscript(index: Int) -> UInt8 {
        let word: UInt64
        switch index / 8 {
        case 0: word = w0
        case 1: word = w1
        case 2: word = w2
        default: word = w3
        }
        return UInt8(truncatingIfNeeded: word >> UInt64(56 - (index % 8) * 8))
    }

    @inlinable public static func < (lhs: Bytes32, rhs: Bytes32) -> Bool {
        if lhs.w0 != rhs.w0 { return lhs.w0 < rhs.w0 }
        if lhs.w1 != rhs.w1 { return lhs.w1 < rhs.w1 }
        if lhs.w2 != rhs.w2 { return lhs.w2 < rhs.w2 }
        return lhs.w3 < rhs.w3
    }

    /// Fresh random bytes from the operating system's CSPRNG (via libsodium).
    public static func random() -> Bytes32 {
        Bytes32(SecureRandom.bytes(32))!
    }
}
