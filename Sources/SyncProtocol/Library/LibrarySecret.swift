/// A library's 32-byte secret capability key: whoever holds it may read and write the library.
/// Tickets carry it; everything else (signing key, gossip topic, auth key) derives from it.
/// `description` never reveals it.
public struct LibrarySecret: Hashable, Sendable, CustomStringConvertible {
    public let bytes32: Bytes32

    public init(_ bytes32: Bytes32) {
        self.bytes32 = bytes32
    }

    /// A fresh random secret, for a newly created library.
    public static func generate() -> LibrarySecret {
        LibrarySecret(.random())
    }

    public var description: String { "LibrarySecret(redacted)" }
}
