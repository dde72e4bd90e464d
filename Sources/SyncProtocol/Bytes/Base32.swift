/// RFC 4648 base32 in lowercase without padding, the alphabet iroh tickets use: URL-safe,
/// case-insensitive to read aloud, and free of characters that shells or chat clients mangle.
public enum Base32 {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 31)])
            }
        }
        if bits > 0 {
            out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Why a string is not canonical base32.
    public enum DecodingFailure: Error, Equatable, Sendable {
        /// A character outside the lowercase alphabet, at this 0-based position.
        case invalidCharacter(Character, position: Int)
        /// A length no encoding produces, or leftover bits that are not zero: the text was cut
        /// or a final character was changed.
        case notCanonical
    }

    /// Decodes canonical lowercase base32: rejects upper case, padding, impossible lengths and
    /// non-zero leftover bits, so that every distinct string decodes to distinct bytes.
    public static func decode(_ text: String) -> Result<[UInt8], DecodingFailure> {
        var out = [UInt8]()
        var buffer: UInt32 = 0
        var bits = 0
        for (position, char) in text.enumerated() {
            guard char.isASCII, let ascii = char.asciiValue, let value = value(of: ascii) else {
                return .failure(.invalidCharacter(char, position: position))
            }
            buffer = buffer << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        // An encoder never leaves a whole unused character (5 or more spare bits): such lengths
        // (1, 3 or 6 mod 8) only come from cutting or padding a ticket by hand.
        guard bits < 5 else { return .failure(.notCanonical) }
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return .failure(.notCanonical) }
        return .success(out)
    }

    private static func value(of ascii: UInt8) -> UInt8? {
        switch ascii {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return ascii - UInt8(ascii: "a")
        case UInt8(ascii: "2")...UInt8(ascii: "7"): return ascii - UInt8(ascii: "2") + 26
        default: return nil
        }
    }
}
