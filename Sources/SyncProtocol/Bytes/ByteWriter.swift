/// Appends the primitive encodings every CAN Sync wire format shares: fixed-width big-endian
/// integers, LEB128 varints, and varint-length-prefixed byte strings.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func u8(_ value: UInt8) {
        bytes.append(value)
    }

    public mutating func u32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    public mutating func u64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    /// Unsigned LEB128: 7 bits per byte, low group first, high bit set on all but the last.
    public mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    public mutating func varint(_ value: Int) {
        varint(UInt64(value))
    }

    public mutating func raw(_ data: some Sequence<UInt8>) {
        bytes.append(contentsOf: data)
    }

    public mutating func bytes32(_ value: Bytes32) {
        for word in [value.w0, value.w1, value.w2, value.w3] {
            u64(word)
        }
    }

    /// Varint length, then the bytes.
    public mutating func lengthPrefixed(_ data: [UInt8]) {
        varint(data.count)
        bytes.append(contentsOf: data)
    }

    /// Varint length, then the UTF-8 bytes.
    public mutating func string(_ text: String) {
        lengthPrefixed(Array(text.utf8))
    }

    /// 0 for nil, else 1 and the string.
    public mutating func optionalString(_ text: String?) {
        if let text {
            u8(1)
            string(text)
        } else {
            u8(0)
        }
    }
}
