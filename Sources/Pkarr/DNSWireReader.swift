/// Reads DNS wire-format fields from a byte buffer, following name compression pointers safely.
struct DNSWireReader {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func skip(_ count: Int) throws {
        guard offset + count <= bytes.count else { throw truncated("\(count) bytes") }
        offset += count
    }

    mutating func u8() throws -> UInt8 {
        guard offset < bytes.count else { throw truncated("a byte") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() throws -> UInt16 {
        UInt16(try u8()) << 8 | UInt16(try u8())
    }

    mutating func u32() throws -> UInt32 {
        UInt32(try u16()) << 16 | UInt32(try u16())
    }

    mutating func take(_ count: Int) throws -> [UInt8] {
        guard offset + count <= bytes.count else { throw truncated("\(count) bytes") }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads a possibly compressed name. Pointers must point strictly backwards, so loops are impossible.
    mutating func name() throws -> String {
        var labels: [String] = []
        var position = offset
        var resumeAt: Int?
        var length = 1
        while true {
            guard position < bytes.count else { throw truncated("a name label") }
            let head = bytes[position]
            switch head & 0xc0 {
            case 0x00:
                if head == 0 {
                    offset = resumeAt ?? position + 1
                    return labels.joined(separator: ".")
                }
                let end = position + 1 + Int(head)
                guard end <= bytes.count else { throw truncated("a \(head)-byte label") }
                length += Int(head) + 1
                guard length <= 255 else { throw PkarrError.malformedDNS("name at offset \(offset) is longer than 255 bytes") }
                labels.append(String(decoding: bytes[position + 1..<end], as: UTF8.self))
                position = end
            case 0xc0:
                guard position + 1 < bytes.count else { throw truncated("a compression pointer") }
                let target = Int(head & 0x3f) << 8 | Int(bytes[position + 1])
                guard target < position else {
                    throw PkarrError.malformedDNS("compression pointer at offset \(position) does not point backwards")
                }
                if resumeAt == nil { resumeAt = position + 2 }
                position = target
            default:
                throw PkarrError.malformedDNS("unsupported label type 0x\(String(head, radix: 16)) at offset \(position)")
            }
        }
    }

    mutating func record() throws -> DNSRecord {
        let owner = try name()
        let type = try u16()
        let dnsClass = try u16()
        let ttl = try u32()
        let length = Int(try u16())
        let rdataStart = offset
        let rdata = try take(length)
        let data: DNSRecordData
        switch type {
        case DNSRecordData.typeA:
            guard length == 4 else { throw PkarrError.malformedDNS("A record at offset \(rdataStart) has \(length) bytes of RDATA") }
            data = .a(rdata)
        case DNSRecordData.typeAAAA:
            guard length == 16 else { throw PkarrError.malformedDNS("AAAA record at offset \(rdataStart) has \(length) bytes of RDATA") }
            data = .aaaa(rdata)
        case DNSRecordData.typeTXT:
            var strings: [[UInt8]] = []
            var index = 0
            while index < rdata.count {
                let count = Int(rdata[index])
                guard index + 1 + count <= rdata.count else {
                    throw PkarrError.malformedDNS("TXT string at offset \(rdataStart + index) runs past its RDATA")
                }
                strings.append(Array(rdata[index + 1..<index + 1 + count]))
                index += 1 + count
            }
            guard !strings.isEmpty else { throw PkarrError.malformedDNS("TXT record at offset \(rdataStart) is empty") }
            data = .txt(strings)
        default:
            data = .other(type: type, rdata: rdata)
        }
        return DNSRecord(name: owner, ttl: ttl, data: data, dnsClass: dnsClass)
    }

    private func truncated(_ what: String) -> PkarrError {
        .malformedDNS("message ends at offset \(bytes.count) while reading \(what)")
    }
}
