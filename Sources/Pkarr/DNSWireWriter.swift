/// Appends DNS wire-format fields to a byte buffer, optionally compressing names.
struct DNSWireWriter {
    private(set) var bytes: [UInt8] = []
    private let compressing: Bool
    /// Offsets of name suffixes already written, keyed by their lowercased text.
    private var suffixOffsets: [String: Int] = [:]

    init(compressing: Bool) {
        self.compressing = compressing
    }

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xff))
    }

    mutating func u32(_ value: UInt32) {
        u16(UInt16(value >> 16))
        u16(UInt16(value & 0xffff))
    }

    mutating func name(_ name: String) throws {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) }
        let parts = name.isEmpty ? [] : labels
        guard parts.allSatisfy({ !$0.isEmpty && $0.count <= 63 }) else {
            throw PkarrError.malformedDNS("name '\(name)' has an empty label or one longer than 63 bytes")
        }
        guard parts.reduce(1, { $0 + $1.count + 1 }) <= 255 else {
            throw PkarrError.malformedDNS("name '\(name)' is longer than 255 bytes")
        }
        for index in parts.indices {
            let suffix = parts[index...].map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".").lowercased()
            if compressing, let offset = suffixOffsets[suffix] {
                u16(0xc000 | UInt16(offset))
                return
            }
            if compressing && bytes.count <= 0x3fff { suffixOffsets[suffix] = bytes.count }
            bytes.append(UInt8(parts[index].count))
            bytes.append(contentsOf: parts[index])
        }
        bytes.append(0)
    }

    mutating func record(_ record: DNSRecord) throws {
        try name(record.name)
        u16(record.data.type)
        u16(record.dnsClass)
        u32(record.ttl)
        let rdata: [UInt8]
        switch record.data {
        case .a(let address):
            guard address.count == 4 else { throw PkarrError.malformedDNS("an A record needs 4 address bytes, got \(address.count)") }
            rdata = address
        case .aaaa(let address):
            guard address.count == 16 else { throw PkarrError.malformedDNS("an AAAA record needs 16 address bytes, got \(address.count)") }
            rdata = address
        case .txt(let strings):
            guard !strings.isEmpty, strings.allSatisfy({ $0.count <= 255 }) else {
                throw PkarrError.malformedDNS("a TXT record needs one or more strings of at most 255 bytes")
            }
            rdata = strings.flatMap { [UInt8($0.count)] + $0 }
        case .other(_, let raw):
            rdata = raw
        }
        guard rdata.count <= Int(UInt16.max) else { throw PkarrError.malformedDNS("RDATA of \(rdata.count) bytes") }
        u16(UInt16(rdata.count))
        bytes.append(contentsOf: rdata)
    }
}
