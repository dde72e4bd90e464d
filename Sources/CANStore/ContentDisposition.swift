/// The `name` and `filename` of a multipart part's `Content-Disposition: form-data; name="..."` header.
struct ContentDisposition: Equatable {
    var name: String?
    var filename: String?

    init(_ header: String) {
        for parameter in Self.split(header).dropFirst() {
            guard let equals = parameter.firstIndex(of: "=") else { continue }
            let key = parameter[..<equals].trimmingWhitespace().lowercased()
            let value = Self.unquote(parameter[parameter.index(after: equals)...].trimmingWhitespace())
            switch key {
            case "name": name = value
            case "filename": filename = value
            default: continue
            }
        }
    }

    /// Splits on `;` outside quotes.
    private static func split(_ header: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in header {
            if escaped {
                escaped = false
            } else if character == "\\" && quoted {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == ";" && !quoted {
                parts.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        parts.append(current)
        return parts
    }

    private static func unquote(_ value: String) -> String {
        guard value.count >= 2, value.first == "\"", value.last == "\"" else { return value }
        var result = ""
        var escaped = false
        for character in value.dropFirst().dropLast() {
            if !escaped && character == "\\" {
                escaped = true
                continue
            }
            escaped = false
            result.append(character)
        }
        return result
    }
}
