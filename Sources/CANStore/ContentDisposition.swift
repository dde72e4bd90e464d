/// The `name` and `filename` of a multipart part's `Content-Disposition: form-data; name="..."` header.
///
/// Read as UTF-8 bytes: every delimiter (`;`, `=`, `"`, `\`) is ASCII, and walking characters would
/// cost each part of every ingest a grapheme breaker.
struct ContentDisposition: Equatable {
    var name: String?
    var filename: String?

    init(_ header: String) {
        let bytes = Array(header.utf8)
        for parameter in Self.split(bytes).dropFirst() {
            guard let equals = parameter.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = String(decoding: Self.trimmed(parameter[..<equals]), as: UTF8.self).lowercased()
            let value = Self.unquoted(Self.trimmed(parameter[(equals + 1)...]))
            switch key {
            case "name": name = value
            case "filename": filename = value
            default: continue
            }
        }
    }

    /// Splits on `;` outside quotes.
    private static func split(_ header: [UInt8]) -> [ArraySlice<UInt8>] {
        var parts: [ArraySlice<UInt8>] = []
        var start = 0
        var quoted = false
        var escaped = false
        for (index, byte) in header.enumerated() {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") && quoted {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                quoted.toggle()
            } else if byte == UInt8(ascii: ";") && !quoted {
                parts.append(header[start..<index])
                start = index + 1
            }
        }
        parts.append(header[start...])
        return parts
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return [] }
        return bytes[first...last]
    }

    /// The value of a quoted string with its backslash escapes undone; an unquoted value as it is.
    private static func unquoted(_ value: ArraySlice<UInt8>) -> String {
        guard value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") else {
            return String(decoding: value, as: UTF8.self)
        }
        var result: [UInt8] = []
        result.reserveCapacity(value.count - 2)
        var escaped = false
        for byte in value.dropFirst().dropLast() {
            if !escaped && byte == UInt8(ascii: "\\") {
                escaped = true
                continue
            }
            escaped = false
            result.append(byte)
        }
        return String(decoding: result, as: UTF8.self)
    }
}
