/// Why pkarr bytes or text were rejected; every case says what was wrong with the input.
public enum PkarrError: Error, Equatable, CustomStringConvertible {
    /// A z-base-32 key was not 52 characters of the alphabet ending in `y` or `o`.
    case invalidZBase32(String)
    /// 32 bytes that are not a usable Ed25519 public key.
    case invalidPublicKey(String)
    /// A relay payload or signed packet of the wrong length.
    case invalidLength(Int, String)
    /// The DNS part is larger than the 1000 bytes pkarr allows.
    case dnsTooLarge(Int)
    /// The Ed25519 signature does not match the timestamp and DNS bytes under the key.
    case badSignature
    /// The DNS message could not be parsed or built.
    case malformedDNS(String)

    public var description: String {
        switch self {
        case .invalidZBase32(let text):
            "not a pkarr key: '\(text.prefix(80))' (expected 52 z-base-32 characters ending in 'y' or 'o')"
        case .invalidPublicKey(let reason): "not an Ed25519 public key: \(reason)"
        case .invalidLength(let length, let expected): "\(length) bytes, expected \(expected)"
        case .dnsTooLarge(let length): "DNS message is \(length) bytes; pkarr allows at most \(SignedPacket.maxDNSBytes)"
        case .badSignature: "the Ed25519 signature does not verify for this key, timestamp and DNS message"
        case .malformedDNS(let reason): "malformed DNS message: \(reason)"
        }
    }
}
