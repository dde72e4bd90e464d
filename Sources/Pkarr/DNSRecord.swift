/// One DNS resource record, as pkarr packets carry them in the answer section.
public struct DNSRecord: Equatable, Sendable {
    /// The absolute owner name without a trailing dot, e.g. `foo.<z32>`; "" is the root.
    public var name: String
    public var ttl: UInt32
    public var data: DNSRecordData
    /// Always IN (1) for pkarr; kept so that decoded packets round-trip.
    public var dnsClass: UInt16

    public init(name: String, ttl: UInt32, data: DNSRecordData, dnsClass: UInt16 = 1) {
        self.name = name
        self.ttl = ttl
        self.data = data
        self.dnsClass = dnsClass
    }
}

/// The RDATA of a record: the types pkarr users need are decoded, the rest kept as raw bytes.
public enum DNSRecordData: Equatable, Sendable {
    /// Four address bytes.
    case a([UInt8])
    /// Sixteen address bytes.
    case aaaa([UInt8])
    /// One or more character-strings of at most 255 bytes each.
    case txt([[UInt8]])
    /// Any other type, RDATA as found (names inside it may hold compression pointers).
    case other(type: UInt16, rdata: [UInt8])

    public static let typeA: UInt16 = 1
    public static let typeTXT: UInt16 = 16
    public static let typeAAAA: UInt16 = 28

    /// A TXT record holding `text` as one character-string (split into 255-byte pieces if longer).
    public static func txt(_ text: String) -> DNSRecordData {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return .txt([[]]) }
        return .txt(stride(from: 0, to: bytes.count, by: 255).map { Array(bytes[$0..<min($0 + 255, bytes.count)]) })
    }

    public var type: UInt16 {
        switch self {
        case .a: Self.typeA
        case .aaaa: Self.typeAAAA
        case .txt: Self.typeTXT
        case .other(let type, _): type
        }
    }

    /// A TXT record's strings joined without a separator, as pkarr and iroh read them; nil for other types.
    public var text: String? {
        guard case .txt(let strings) = self else { return nil }
        return String(decoding: strings.joined(), as: UTF8.self)
    }
}
