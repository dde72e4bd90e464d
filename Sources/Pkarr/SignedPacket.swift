/// A pkarr signed packet: DNS records published under an Ed25519 key, signed together with a
/// microsecond timestamp. On a relay it travels as `signature(64) ‖ timestamp(8, big-endian) ‖ DNS`,
/// with the key in the URL; the signature covers the BEP44 encoding `3:seqi<ts>e1:v<len>:<DNS>`.
public struct SignedPacket: Equatable, Sendable {
    public static let signatureBytes = 64
    public static let timestampBytes = 8
    public static let maxDNSBytes = 1000
    /// The smallest relay payload: signature and timestamp plus a 12-byte DNS header.
    public static let minRelayPayloadBytes = signatureBytes + timestampBytes + 12
    public static let maxRelayPayloadBytes = signatureBytes + timestampBytes + maxDNSBytes

    public let publicKey: PkarrPublicKey
    public let signature: [UInt8]
    /// Microseconds since the Unix epoch; the BEP44 `seq`. Higher wins.
    public let timestamp: UInt64
    public let dnsBytes: [UInt8]
    public let message: DNSMessage

    /// Signs `records` under `keyPair`. Owner names are relative to the key: "@" (or "") is the key's
    /// own name, `foo` becomes `foo.<z32>`; names already ending in `.<z32>` are kept.
    public init(keyPair: Ed25519KeyPair, timestamp: UInt64, records: [DNSRecord], compressed: Bool = true) throws {
        let origin = keyPair.publicKey.zBase32
        let absolute = records.map { record in
            var copy = record
            copy.name = Self.absoluteName(record.name, origin: origin)
            return copy
        }
        let message = DNSMessage(answers: absolute)
        let dns = try message.encoded(compressed: compressed)
        guard dns.count <= Self.maxDNSBytes else { throw PkarrError.dnsTooLarge(dns.count) }
        self.publicKey = keyPair.publicKey
        self.timestamp = timestamp
        self.dnsBytes = dns
        self.message = message
        self.signature = keyPair.sign(Self.signable(timestamp: timestamp, dns: dns))
    }

    /// Checks a relay payload against the key from the URL: length, signature, then DNS syntax.
    public init(publicKey: PkarrPublicKey, relayPayload payload: [UInt8]) throws {
        guard payload.count >= Self.minRelayPayloadBytes else {
            throw PkarrError.invalidLength(payload.count, "at least \(Self.minRelayPayloadBytes) (signature, timestamp, DNS header)")
        }
        let dns = Array(payload[(Self.signatureBytes + Self.timestampBytes)...])
        guard dns.count <= Self.maxDNSBytes else { throw PkarrError.dnsTooLarge(dns.count) }
        let signature = Array(payload[0..<Self.signatureBytes])
        let timestamp = payload[Self.signatureBytes..<Self.signatureBytes + Self.timestampBytes]
            .reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard publicKey.verify(signature: signature, message: Self.signable(timestamp: timestamp, dns: dns)) else {
            throw PkarrError.badSignature
        }
        self.publicKey = publicKey
        self.signature = signature
        self.timestamp = timestamp
        self.dnsBytes = dns
        self.message = try DNSMessage(decoding: dns)
    }

    /// The HTTP body for a relay: `signature ‖ timestamp ‖ DNS`.
    public var relayPayload: [UInt8] {
        signature + withUnsafeBytes(of: timestamp.bigEndian, Array.init) + dnsBytes
    }

    /// The canonical packet: the public key followed by the relay payload.
    public var bytes: [UInt8] { publicKey.bytes + relayPayload }

    /// The bytes the signature covers: BEP44's bencoded `seq` and `v` without a salt.
    public static func signable(timestamp: UInt64, dns: [UInt8]) -> [UInt8] {
        Array("3:seqi\(timestamp)e1:v\(dns.count):".utf8) + dns
    }

    /// Answer records whose owner is `name` relative to this packet's key ("@" for the key itself).
    public func records(named name: String) -> [DNSRecord] {
        let wanted = Self.absoluteName(name, origin: publicKey.zBase32).lowercased()
        return message.answers.filter { $0.name.lowercased() == wanted }
    }

    /// pkarr's ordering: the higher timestamp wins; on a tie the larger DNS bytes win.
    public func isMoreRecent(than other: SignedPacket) -> Bool {
        if timestamp != other.timestamp { return timestamp > other.timestamp }
        return other.dnsBytes.lexicographicallyPrecedes(dnsBytes)
    }

    /// `name` made absolute under `origin` (a z32 key), without a trailing dot.
    public static func absoluteName(_ name: String, origin: String) -> String {
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        if trimmed.isEmpty || trimmed == "@" { return origin }
        let lowered = trimmed.lowercased()
        if lowered == origin || lowered.hasSuffix("." + origin) { return trimmed }
        return trimmed + "." + origin
    }
}
