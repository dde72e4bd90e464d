import Foundation

/// An invitation to a library: everything a node needs to join it and reach the inviter.
///
/// Text form: `"cansync"` followed by lowercase RFC 4648 base32 (no padding) of
///
///     version u8 (= 1) ‖ body ‖ checksum
///
/// where checksum is the first 4 bytes of BLAKE2b-256(version ‖ body). The checksum is part of
/// the envelope every version keeps, so it is checked before the version: a typo reports a
/// checksum mismatch, and only an intact ticket from a newer node reports its version.
/// Body (version 1): library id (16 bytes) ‖ library secret (32) ‖ inviting node id (32) ‖
/// name ‖ filter ‖ address count ‖ addresses, where strings are a varint length and UTF-8.
/// The filter is JSON object text, carried verbatim.
public struct LibraryTicket: Hashable, Sendable {
    public static let prefix = "cansync"
    public static let version: UInt8 = 1
    static let checksumLength = 4
    static let maxNameBytes = 1024
    static let maxFilterBytes = 64 * 1024
    static let maxAddresses = 64
    static let maxAddressBytes = 512

    public var libraryID: UUID
    public var libraryName: String
    /// The library filter as JSON object text, exactly as the inviter stored it.
    public var filter: String
    public var secret: LibrarySecret
    /// The inviting node's Ed25519 public key.
    public var nodeID: PublicKey
    /// Addresses the inviting node can be reached at, in the transport's own notation.
    public var addresses: [String]

    /// Throws `TicketError.invalidFilter` unless `filter` is a JSON object.
    public init(libraryID: UUID, libraryName: String, filter: String, secret: LibrarySecret,
                nodeID: PublicKey, addresses: [String]) throws {
        do {
            try CanonicalJSON.validateObject(filter)
        } catch {
            throw TicketError.invalidFilter("\(error)")
        }
        self.libraryID = libraryID
        self.libraryName = libraryName
        self.filter = filter
        self.secret = secret
        self.nodeID = nodeID
        self.addresses = addresses
    }

    /// The ticket string.
    public func encoded() -> String {
        var writer = ByteWriter(capacity: 256)
        writer.u8(Self.version)
        writer.raw(libraryID.bytes)
        writer.bytes32(secret.bytes32)
        writer.bytes32(nodeID.bytes32)
        writer.string(libraryName)
        writer.string(filter)
        writer.varint(addresses.count)
        for address in addresses {
            writer.string(address)
        }
        var payload = writer.bytes
        payload += Self.checksum(payload)
        return Self.prefix + Base32.encode(payload)
    }

    /// Parses a ticket string (surrounding whitespace is ignored); throws `TicketError`.
    public init(decoding text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix(Self.prefix) else { throw TicketError.notATicket }
        let encoded = trimmed.dropFirst(Self.prefix.count)
        let payload: [UInt8]
        switch Base32.decode(String(encoded)) {
        case .success(let bytes): payload = bytes
        case .failure(.invalidCharacter(let char, let position)):
            throw TicketError.invalidCharacter(char, position: position + Self.prefix.count)
        case .failure(.notCanonical): throw TicketError.checksumMismatch
        }
        guard payload.count > Self.checksumLength else { throw TicketError.checksumMismatch }
        let content = Array(payload.dropLast(Self.checksumLength))
        guard Blake2b.constantTimeEqual(Self.checksum(content), Array(payload.suffix(Self.checksumLength))) else {
            throw TicketError.checksumMismatch
        }
        guard content[0] == Self.version else { throw TicketError.unsupportedVersion(content[0]) }
        do {
            var reader = ByteReader(content, context: "ticket")
            _ = try reader.u8("version")
            let idBytes = try reader.raw(16, "library id")
            let secret = try reader.bytes32("library secret")
            let node = try reader.bytes32("node id")
            let name = try reader.string("library name", limit: Self.maxNameBytes)
            let filter = try reader.string("filter", limit: Self.maxFilterBytes)
            let count = try reader.count("address count", limit: Self.maxAddresses)
            var addresses: [String] = []
            for index in 0..<count {
                addresses.append(try reader.string("address \(index)", limit: Self.maxAddressBytes))
            }
            try reader.expectEnd()
            try self.init(libraryID: UUID(bytes: idBytes)!, libraryName: name, filter: filter,
                          secret: LibrarySecret(secret), nodeID: PublicKey(node), addresses: addresses)
        } catch let error as WireFormatError {
            throw TicketError.malformed(error.description)
        }
    }

    static func checksum(_ content: [UInt8]) -> [UInt8] {
        Array(Blake2b.hash(content, length: 32).prefix(checksumLength))
    }
}
