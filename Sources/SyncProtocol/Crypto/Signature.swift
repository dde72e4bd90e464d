/// A 64-byte Ed25519 signature.
public struct Signature: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// Takes exactly 64 bytes; returns nil for any other count.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == 64 else { return nil }
        self.bytes = Array(bytes)
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}
