/// Reads what `ByteWriter` writes, checking every length against what is left, so that
/// truncated or hostile input throws a `WireFormatError` instead of trapping.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    /// Names the structure being decoded in error messages.
    public let context: String

    public init(_ bytes: [UInt8], context: String) {
        self.bytes = bytes
        self.offset = 0
        self.context = context
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset == bytes.count }

    public func error(_ reason: String) -> WireFormatError {
        WireFormatError(context, offset: offset, reason)
    }

    public mutating func u8(_ field: String) throws -> UInt8 {
        guard remaining >= 1 else { throw error("truncated: \(field) missing") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u32(_ field: String) throws -> UInt32 {
        guard remaining >= 4 else { throw error("truncated: \(field) needs 4 bytes, \(remaining) left") }
        var value: UInt32 = 0
        for index in offset..<offset + 4 {
            value = value << 8 | UInt32(bytes[index])
        }
        offset += 4
        return value
    }

    public mutating func u64(_ field: String) throws -> UInt64 {
        guard remaining >= 8 else { throw error("truncated: \(field) needs 8 bytes, \(remaining) left") }
        var value: UInt64 = 0
        for index in offset..<offset + 8 {
            value = value << 8 | UInt64(bytes[index])
        }
        offset += 8
        return value
    }

    /// Rejects over-long encodings (more than 10 bytes, or a redundant zero final group) so that
    /// every value has exactly one encoding; canonical bytes are what signatures cover.
    public mutating func varint(_ field: String) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard remaining >= 1 else { throw error("truncated: \(field) varint unfinished") }
            let byte = bytes[offset]
            offset += 1
            if shift == 63 && byte > 1 {
                throw WireFormatError(context, offset: start, "\(field) varint overflows 64 bits")
            }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    throw WireFormatError(context, offset: start, "\(field) varint has a redundant zero byte")
                }
                return value
            }
            shift += 7
        }
    }

    /// A varint that must be at most `limit`; used for counts and lengths before allocating.
    public mutating func count(_ field: String, limit: Int) throws -> Int {
        let start = offset
        let value = try varint(field)
        guard value <= UInt64(limit) else {
            throw WireFormatError(context, offset: start, "\(field) is \(value), more than the limit \(limit)")
        }
        return Int(value)
    }

    public mutating func raw(_ count: Int, _ field: String) throws -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else {
            throw error("truncated: \(field) needs \(count) bytes, \(remaining) left")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    public mutating func bytes32(_ field: String) throws -> Bytes32 {
        Bytes32(try raw(32, field))!
    }

    public mutating func lengthPrefixed(_ field: String, limit: Int) throws -> [UInt8] {
        let length = try count("\(field) length", limit: limit)
        return Array(try raw(length, field))
    }

    public mutating func string(_ field: String, limit: Int) throws -> String {
        let start = offset
        let data = try lengthPrefixed(field, limit: limit)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw WireFormatError(context, offset: start, "\(field) is not valid UTF-8")
        }
        return text
    }

    public mutating func optionalString(_ field: String, limit: Int) throws -> String? {
        switch try u8("\(field) presence flag") {
        case 0: return nil
        case 1: return try string(field, limit: limit)
        case let flag: throw WireFormatError(context, offset: offset - 1, "\(field) presence flag is \(flag), expected 0 or 1")
        }
    }

    /// Throws unless every byte was consumed: trailing bytes mean a different, unknown layout.
    public func expectEnd() throws {
        guard isAtEnd else { throw error("\(remaining) unexpected trailing bytes") }
    }
}
