import PluginAPI

/// A node's identity: its 32-byte Ed25519 public key, written as 64 lowercase hex digits.
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a node id is 32 bytes")
        self.bytes = bytes
    }

    public init(pointer: UnsafePointer<UInt8>) {
        self.bytes = Array(UnsafeBufferPointer(start: pointer, count: 32))
    }

    /// Parses 64 hex digits; nil for anything else.
    public init?(hex: String) {
        guard hex.utf8.count == 64, let bytes = [UInt8](hexString: hex) else { return nil }
        self.bytes = bytes
    }

    public var hex: String { bytes.hexString }
    public var description: String { hex }
    /// The first 10 hex digits: enough to tell nodes apart in logs.
    public var short: String { String(hex.prefix(10)) }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = NodeID(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a node id: \(text)"))
        }
        self = id
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hex.
    public var hexString: String { Hex.encode(self) }

    /// Bytes from hex digits (either case); nil if the text is not hex of even length.
    public init?(hexString: String) {
        guard let bytes = Hex.decode(hexString) else { return nil }
        self = bytes
    }
}
