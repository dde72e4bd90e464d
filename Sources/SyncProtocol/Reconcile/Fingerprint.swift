/// A 16-byte summary of the items in a range: equal sets have equal fingerprints, and unequal
/// sets differ except with probability about 2^-128.
///
/// Fingerprint = first 16 bytes of BLAKE2b-256(S ‖ n), where S is the sum modulo 2^256 of the
/// item hashes BLAKE2b-256(key ‖ value), each read as a little-endian 256-bit integer, written
/// as 32 little-endian bytes, and n is the item count as a little-endian u64. Summing (as
/// negentropy does) rather than XORing keeps it insensitive to order yet not cancellable by
/// pairs, and makes any range's S a difference of two prefix sums.
public struct Fingerprint: Hashable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Takes exactly 16 bytes.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var words: [UInt64] = [0, 0]
        for (index, byte) in bytes.enumerated() {
            words[index / 8] = words[index / 8] << 8 | UInt64(byte)
        }
        high = words[0]
        low = words[1]
    }

    public var bytes: [UInt8] {
        (0..<16).map { index in
            UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> UInt64(56 - (index % 8) * 8))
        }
    }

    public var description: String { Hex.encode(bytes) }
}
