/// z-base-32 (Zooko's human-oriented base-32): how pkarr writes public keys in URLs and DNS names.
/// Bits are read most-significant first, five at a time; the last group is padded with zero bits.
public enum ZBase32 {
    public static let alphabet: [UInt8] = Array("ybndrfg8ejkmcpqxot1uwisza345h769".utf8)

    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, symbol) in alphabet.enumerated() { table[Int(symbol)] = Int8(index) }
        return table
    }()

    /// Encodes bytes as lowercase z-base-32 without padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        var output = [UInt8]()
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                output.append(alphabet[Int((buffer >> UInt32(bits)) & 0x1f)])
            }
        }
        if bits > 0 {
            output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1f)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes z-base-32 text (either case) to bytes; nil when a character is outside the alphabet
    /// or the padding bits of the last character are not zero.
    public static func decode(_ text: String) -> [UInt8]? {
        var output = [UInt8]()
        output.reserveCapacity(text.utf8.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for symbol in text.utf8 {
            let lowered = symbol >= 0x41 && symbol <= 0x5a ? symbol + 0x20 : symbol
            let value = values[Int(lowered)]
            guard value >= 0 else { return nil }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((buffer >> UInt32(bits)) & 0xff))
            }
        }
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return output
    }
}
