/// A strict JSON (RFC 8259) parser and a canonical writer, so that entry metadata has exactly
/// one byte form to sign: object keys sorted by their UTF-8 bytes, no insignificant whitespace,
/// strings escaped minimally (`\"`, `\\`, `\b \f \n \r \t`, other controls as `\u00xx`), and
/// numbers kept as written (JSON gives them no single normal form; "1.0" and "1" stay distinct).
public enum CanonicalJSON {
    /// Why a text is not acceptable JSON.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    /// The canonical form of `text`; throws when it is not JSON or (with `requireObject`) not
    /// a JSON object.
    public static func canonicalize(_ text: String, requireObject: Bool = true) throws -> String {
        var parser = Parser(Array(text.utf8))
        let value = try parser.document()
        if requireObject, case .object = value {} else if requireObject {
            throw ParseError(offset: 0, reason: "expected a JSON object ({...})")
        }
        var out = [UInt8]()
        write(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Throws unless `text` is a JSON object; leaves it as it is.
    public static func validateObject(_ text: String) throws {
        _ = try canonicalize(text, requireObject: true)
    }

    indirect enum Value {
        case null, bool(Bool), number([UInt8]), string([UInt8])
        case array([Value])
        case object([(key: [UInt8], value: Value)])
    }

    private static func write(_ value: Value, into out: inout [UInt8]) {
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .number(let literal): out += literal
        case .string(let utf8): writeString(utf8, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let sorted = members.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ utf8: [UInt8], into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0c: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0a: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0d: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Recursive descent over UTF-8 bytes, with a depth limit so hostile nesting cannot
    /// exhaust the stack.
    struct Parser {
        static let maxDepth = 64
        let bytes: [UInt8]
        var offset = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        func fail(_ reason: String) -> ParseError {
            ParseError(offset: offset, reason: reason)
        }

        mutating func document() throws -> Value {
            let value = try parseValue(depth: 0)
            skipWhitespace()
            guard offset == bytes.count else { throw fail("unexpected text after the JSON value") }
            return value
        }

        mutating func skipWhitespace() {
            while offset < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[offset]) {
                offset += 1
            }
        }

        mutating func parseValue(depth: Int) throws -> Value {
            guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
            skipWhitespace()
            guard offset < bytes.count else { throw fail("unexpected end of text") }
            switch bytes[offset] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default: throw fail("unexpected character")
            }
        }

        mutating func literal(_ word: String) throws {
            let utf8 = Array(word.utf8)
            guard bytes.count - offset >= utf8.count, Array(bytes[offset..<offset + utf8.count]) == utf8 else {
                throw fail("expected \(word)")
            }
            offset += utf8.count
        }

        mutating func parseObject(depth: Int) throws -> Value {
            offset += 1
            var members: [(key: [UInt8], value: Value)] = []
            var seen = Set<[UInt8]>()
            skipWhitespace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
                offset += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw fail("expected a key string") }
                let keyOffset = offset
                let key = try parseString()
                guard seen.insert(key).inserted else {
                    throw ParseError(offset: keyOffset, reason: "duplicate key \"\(String(decoding: key, as: UTF8.self))\"")
                }
                skipWhitespace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                offset += 1
                members.append((key, try parseValue(depth: depth + 1)))
                skipWhitespace()
                guard offset < bytes.count else { throw fail("unterminated object") }
                if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
                if bytes[offset] == UInt8(ascii: "}") { offset += 1; return .object(members) }
                throw fail("expected ',' or '}'")
            }
        }

        mutating func parseArray(depth: Int) throws -> Value {
            offset += 1
            var items: [Value] = []
            skipWhitespace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
                offset += 1
                return .array(items)
            }
            while true {
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard offset < bytes.count else { throw fail("unterminated array") }
                if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
                if bytes[offset] == UInt8(ascii: "]") { offset += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        }

        /// Returns the decoded UTF-8 content (escapes resolved).
        mutating func parseString() throws -> [UInt8] {
            offset += 1
            var out = [UInt8]()
            while true {
                guard offset < bytes.count else { throw fail("unterminated string") }
                let byte = bytes[offset]
                offset += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard String(validating: out, as: UTF8.self) != nil else { throw fail("string is not valid UTF-8") }
                    return out
                case UInt8(ascii: "\\"):
                    guard offset < bytes.count else { throw fail("unterminated escape") }
                    let escape = bytes[offset]
                    offset += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0c)
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"): out += try parseUnicodeEscape()
                    default: throw fail("invalid escape")
                    }
                case 0..<0x20:
                    throw fail("control character in string")
                default:
                    out.append(byte)
                }
            }
        }

        /// Exactly four hex digits (no sign, unlike `UInt32(_:radix:)` would accept).
        mutating func hex4() throws -> UInt32 {
            guard bytes.count - offset >= 4 else { throw fail("invalid \\u escape") }
            var value: UInt32 = 0
            for byte in bytes[offset..<offset + 4] {
                guard let digit = Hex.decode(String(decoding: [UInt8(ascii: "0"), byte], as: UTF8.self))?.first else {
                    throw fail("invalid \\u escape")
                }
                value = value << 4 | UInt32(digit)
            }
            offset += 4
            return value
        }

        mutating func parseUnicodeEscape() throws -> [UInt8] {
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard bytes.count - offset >= 2, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u")
                else { throw fail("unpaired surrogate") }
                offset += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw fail("unpaired surrogate") }
            return Array(String(Character(unicode)).utf8)
        }

        mutating func parseNumber() throws -> [UInt8] {
            let start = offset
            if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard offset < bytes.count else { throw fail("invalid number") }
            if bytes[offset] == UInt8(ascii: "0") {
                offset += 1
            } else {
                guard try digits() > 0 else { throw fail("invalid number") }
            }
            if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
                offset += 1
                guard try digits() > 0 else { throw fail("invalid number: digits expected after '.'") }
            }
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
                offset += 1
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") {
                    offset += 1
                }
                guard try digits() > 0 else { throw fail("invalid number: exponent digits expected") }
            }
            return Array(bytes[start..<offset])
        }

        mutating func digits() throws -> Int {
            let start = offset
            while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) {
                offset += 1
            }
            return offset - start
        }
    }
}
