/// A DNS message in wire format (RFC 1035), limited to what pkarr packets hold: records in the
/// answer section of a response. Decoding accepts compressed and uncompressed names and skips
/// questions; authority and additional records are parsed and kept.
public struct DNSMessage: Equatable, Sendable {
    public var id: UInt16
    /// QR set (a response), as pkarr writes it.
    public var flags: UInt16
    public var answers: [DNSRecord]
    public var authority: [DNSRecord]
    public var additional: [DNSRecord]

    public init(id: UInt16 = 0, flags: UInt16 = 0x8000, answers: [DNSRecord],
                authority: [DNSRecord] = [], additional: [DNSRecord] = []) {
        self.id = id
        self.flags = flags
        self.answers = answers
        self.authority = authority
        self.additional = additional
    }

    /// The wire bytes. With `compressed`, repeated name suffixes become pointers (RFC 1035 §4.1.4).
    public func encoded(compressed: Bool = true) throws -> [UInt8] {
        var writer = DNSWireWriter(compressing: compressed)
        writer.u16(id)
        writer.u16(flags)
        writer.u16(0)
        for section in [answers, authority, additional] {
            guard section.count <= Int(UInt16.max) else { throw PkarrError.malformedDNS("too many records") }
            writer.u16(UInt16(section.count))
        }
        for record in answers + authority + additional {
            try writer.record(record)
        }
        return writer.bytes
    }

    /// Parses wire bytes; throws `PkarrError.malformedDNS` naming the offset of the problem.
    public init(decoding bytes: [UInt8]) throws {
        var reader = DNSWireReader(bytes)
        id = try reader.u16()
        flags = try reader.u16()
        let questions = try reader.u16()
        let counts = (try reader.u16(), try reader.u16(), try reader.u16())
        for _ in 0..<questions {
            _ = try reader.name()
            try reader.skip(4)
        }
        answers = try (0..<counts.0).map { _ in try reader.record() }
        authority = try (0..<counts.1).map { _ in try reader.record() }
        additional = try (0..<counts.2).map { _ in try reader.record() }
        guard reader.isAtEnd else {
            throw PkarrError.malformedDNS("\(bytes.count - reader.offset) trailing bytes after the last record")
        }
    }
}
