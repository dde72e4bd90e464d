import PluginAPI
/// One gossip message, version 1. All integers are big-endian.
///
///     offset  size  field
///     0       1     version = 0x01
///     1       1     kind: 1 JOIN, 2 FORWARD_JOIN, 3 NEIGHBOR, 4 DISCONNECT, 5 SHUFFLE, 6 SHUFFLE_REPLY
///     2       1     flags: bit 0 HIGH (NEIGHBOR: the receiver must accept), bit 1 ACK (NEIGHBOR: the sender
///                   already holds the receiver in its active view, so no answer is wanted); others zero
///     3       1     ttl: hops left on a random walk (FORWARD_JOIN, SHUFFLE), else 0
///     4       32    sender node id (must equal the node the transport received it from)
///     36      8     timestamp, sender's wall clock in ms since the Unix epoch
///     44      1+L   library id: length L, then L bytes of UTF-8
///     ..      1+..  record count N (1...64), then N member records
///     end-32  32    MAC (see `GossipAuthenticator`)
///
/// A member record is: node id (32) ‖ age u32 (ms since the sender last heard from that node itself;
/// the receiver adds the message's time in transit, its clock minus the timestamp) ‖
/// address count A (0...8) ‖ A × (length byte ‖ UTF-8 "IPv4:port" or "[IPv6]:port").
/// Record 0 is the message's subject: the joining node in FORWARD_JOIN, the originator in SHUFFLE, the
/// sender itself in every other kind. Later records are a sample of members the sender knows.
struct GossipMessage: Equatable {
    static let version: UInt8 = 1
    static let macLength = 32
    static let maximumRecords = 64
    static let maximumAddresses = 8

    enum Kind: UInt8 {
        case join = 1, forwardJoin, neighbor, disconnect, shuffle, shuffleReply
    }

    static let flagHigh: UInt8 = 0x01
    static let flagAck: UInt8 = 0x02

    var kind: Kind
    var flags: UInt8 = 0
    var ttl: UInt8 = 0
    var sender: [UInt8]
    var timestamp: UInt64
    var libraryID: String
    var records: [MemberRecord]

    var subject: MemberRecord { records[0] }

    /// The bytes the MAC covers (everything but the MAC itself).
    func encodedBody() -> [UInt8] {
        var out: [UInt8] = [Self.version, kind.rawValue, flags, ttl]
        out += sender
        out += withUnsafeBytes(of: timestamp.bigEndian, Array.init)
        let library = Array(libraryID.utf8.prefix(255))
        out.append(UInt8(library.count))
        out += library
        let kept = records.prefix(Self.maximumRecords)
        out.append(UInt8(kept.count))
        for record in kept {
            out += record.nodeID
            out += withUnsafeBytes(of: record.ageMilliseconds.bigEndian, Array.init)
            let addresses = record.addresses.map { Array($0.utf8) }.filter { $0.count <= 255 }.prefix(Self.maximumAddresses)
            out.append(UInt8(addresses.count))
            for address in addresses {
                out.append(UInt8(address.count))
                out += address
            }
        }
        return out
    }

    /// Splits `bytes` into a message and its MAC, or says why it is not a version-1 message.
    static func decode(_ bytes: [UInt8]) throws(GossipDecodeError) -> (message: GossipMessage, body: ArraySlice<UInt8>, mac: [UInt8]) {
        guard bytes.count > 44 + macLength else { throw .init("message of \(bytes.count) bytes is too short") }
        guard bytes[0] == version else { throw .init("unsupported version \(bytes[0])") }
        var reader = ByteReader(bytes[..<(bytes.count - macLength)])
        _ = try reader.byte()
        guard let kind = Kind(rawValue: try reader.byte()) else { throw .init("unknown kind \(bytes[1])") }
        let flags = try reader.byte()
        let ttl = try reader.byte()
        let sender = try reader.bytes(32)
        let timestamp = try reader.uint64()
        guard let library = String(validating: try reader.bytes(Int(try reader.byte())), as: UTF8.self) else {
            throw .init("library id is not UTF-8")
        }
        let count = Int(try reader.byte())
        guard (1...maximumRecords).contains(count) else { throw .init("record count \(count) outside 1...\(maximumRecords)") }
        var records: [MemberRecord] = []
        for _ in 0..<count {
            let id = try reader.bytes(32)
            let age = try reader.uint32()
            let addressCount = Int(try reader.byte())
            guard addressCount <= maximumAddresses else { throw .init("record lists \(addressCount) addresses (at most \(maximumAddresses))") }
            var addresses: [String] = []
            for _ in 0..<addressCount {
                let text = String(decoding: try reader.bytes(Int(try reader.byte())), as: UTF8.self)
                if AddressSyntax.problem(with: text) == nil { addresses.append(text) }
            }
            records.append(MemberRecord(nodeID: id, ageMilliseconds: age, addresses: addresses))
        }
        guard reader.isAtEnd else { throw .init("\(reader.remaining) stray bytes before the MAC") }
        let message = GossipMessage(kind: kind, flags: flags, ttl: ttl, sender: sender, timestamp: timestamp,
                                    libraryID: library, records: records)
        return (message, bytes[..<(bytes.count - macLength)], Array(bytes.suffix(macLength)))
    }
}

/// What one member knows about another: its id, where it listens, and how long ago it was heard from.
struct MemberRecord: Equatable {
    var nodeID: [UInt8]
    var ageMilliseconds: UInt32
    var addresses: [String]
}

/// Why bytes were not a gossip message.
struct GossipDecodeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A bounds-checked cursor over received bytes.
private struct ByteReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    var isAtEnd: Bool { position == bytes.endIndex }
    var remaining: Int { bytes.endIndex - position }

    mutating func byte() throws(GossipDecodeError) -> UInt8 {
        guard position < bytes.endIndex else { throw .init("truncated at byte \(position)") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func bytes(_ count: Int) throws(GossipDecodeError) -> [UInt8] {
        guard remaining >= count else { throw .init("truncated at byte \(position) (needed \(count) more)") }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    mutating func uint32() throws(GossipDecodeError) -> UInt32 {
        try bytes(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func uint64() throws(GossipDecodeError) -> UInt64 {
        try bytes(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
