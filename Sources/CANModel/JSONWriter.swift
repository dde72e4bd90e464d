/// Writes JSON text (RFC 8259) straight into bytes, for the paths every asset crosses: the store's asset
/// responses and its stored tag and metadata columns. There, `JSONEncoder`'s generic machinery costs
/// several times more than the few hundred bytes it writes.
///
/// Strings are escaped minimally (`\"`, `\\`, `\b \f \n \r \t`, other controls as `\u00xx`); object keys
/// come out sorted, so one value always has one text; integral numbers up to 2^53 are written without a
/// fraction, as `JSONValue`'s `Encodable` conformance writes them.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends `text` as it is: punctuation and key names the caller knows to be valid JSON.
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func null() {
        raw("null")
    }

    public mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    public mutating func int(_ value: Int64) {
        if value >= 0, value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
    }

    public mutating func number(_ value: Double) {
        if value.rounded() == value, abs(value) < 9_007_199_254_740_992 {
            int(Int64(value))
        } else if value.isFinite {
            bytes.append(contentsOf: value.description.utf8)
        } else {
            // JSON has no spelling for infinities or NaN; parsed JSON never holds one.
            null()
        }
    }

    public mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                escape(byte)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): raw("\\\"")
        case UInt8(ascii: "\\"): raw("\\\\")
        case 0x08: raw("\\b")
        case 0x0C: raw("\\f")
        case 0x0A: raw("\\n")
        case 0x0D: raw("\\r")
        case 0x09: raw("\\t")
        default:
            let hex: StaticString = "0123456789abcdef"
            raw("\\u00")
            hex.withUTF8Buffer { digits in
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0x0F)])
            }
        }
    }

    public mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    public mutating func strings(_ values: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    public mutating func object(_ members: [String: JSONValue]) {
        bytes.append(UInt8(ascii: "{"))
        for (index, key) in members.keys.sorted().enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(key)
            bytes.append(UInt8(ascii: ":"))
            value(members[key]!)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                self.value(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members): object(members)
        }
    }
}

extension Asset {
    /// Writes the asset in the contract's spelling, as its `Encodable` conformance does.
    public func write(to json: inout JSONWriter) {
        json.raw("{\"hash\":")
        json.string(hash)
        json.raw(",\"size\":")
        json.int(size)
        json.raw(",\"mime_type\":")
        json.string(mimeType)
        json.raw(",\"application\":")
        json.optionalString(application)
        json.raw(",\"tags\":")
        json.strings(tags)
        json.raw(",\"user\":")
        json.optionalString(user)
        json.raw(",\"filename\":")
        json.optionalString(filename)
        json.raw(",\"metadata\":")
        json.object(metadata)
        json.raw(",\"created_at\":")
        json.int(createdAt)
        json.raw(",\"updated_at\":")
        json.int(updatedAt)
        if let seq {
            json.raw(",\"seq\":")
            json.int(seq)
        }
        if let deleted {
            json.raw(",\"deleted\":")
            json.bool(deleted)
        }
        if let duplicate {
            json.raw(",\"duplicate\":")
            json.bool(duplicate)
        }
        json.raw("}")
    }
}

extension AssetPage {
    /// Writes the page in the contract's spelling, as its `Encodable` conformance does.
    public func write(to json: inout JSONWriter) {
        json.raw("{\"assets\":[")
        for (index, asset) in assets.enumerated() {
            if index > 0 { json.raw(",") }
            asset.write(to: &json)
        }
        json.raw("],\"total\":")
        json.int(total)
        if let lastSeq {
            json.raw(",\"last_seq\":")
            json.int(lastSeq)
        }
        json.raw("}")
    }
}
