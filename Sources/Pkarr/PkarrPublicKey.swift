import CSodium

/// A pkarr key: an Ed25519 public key, named in URLs and DNS by its 52-character z-base-32 form.
public struct PkarrPublicKey: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    public static let zBase32Length = 52

    public let bytes: [UInt8]

    /// Accepts 32 bytes that libsodium takes as an Ed25519 public key (on the curve, not small order).
    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.byteCount else {
            throw PkarrError.invalidPublicKey("\(bytes.count) bytes, expected \(Self.byteCount)")
        }
        Sodium.ensureInitialized()
        guard crypto_core_ed25519_is_valid_point(bytes) == 1 else {
            throw PkarrError.invalidPublicKey("\(bytes.hexEncoded) is not a valid curve point")
        }
        self.bytes = bytes
    }

    /// Parses the z-base-32 form strictly: 52 characters, zero padding bits, then a valid point.
    public init(zBase32 text: String) throws {
        guard text.utf8.count == Self.zBase32Length, let bytes = ZBase32.decode(text), bytes.count == Self.byteCount else {
            throw PkarrError.invalidZBase32(text)
        }
        try self.init(bytes: bytes)
    }

    /// The 52-character z-base-32 form used in relay URLs and as the DNS origin.
    public var zBase32: String { ZBase32.encode(bytes) }
    public var description: String { zBase32 }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    public func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        guard signature.count == Int(crypto_sign_BYTES) else { return false }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), bytes) == 0
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hex, for messages and test vectors.
    public var hexEncoded: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes from hex digits (either case); nil when the text is not hex of even length.
    public init?(hexEncoded text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }
}
