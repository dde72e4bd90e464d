extension YAMLNode {
    /// The node as JSON text, typing unquoted scalars by the YAML core schema (numbers, booleans, null).
    /// Used to hand plugin `settings` across the ABI.
    public func jsonText() -> String {
        var out = ""
        appendJSON(to: &out)
        return out
    }

    private func appendJSON(to out: inout String) {
        switch value {
        case .scalar(let text, let quoted):
            if quoted { out += Self.jsonString(text) }
            else if isNull { out += "null" }
            else if let flag = YAMLScalar.bool(text) { out += flag ? "true" : "false" }
            else if let number = YAMLScalar.int(text) { out += String(number) }
            else if let number = YAMLScalar.double(text), number.isFinite { out += String(number) }
            else { out += Self.jsonString(text) }
        case .sequence(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.appendJSON(to: &out)
            }
            out += "]"
        case .mapping(let pairs):
            out += "{"
            for (index, pair) in pairs.enumerated() {
                if index > 0 { out += "," }
                if case .scalar(let key, _) = pair.key.value { out += Self.jsonString(key) }
                out += ":"
                pair.value.appendJSON(to: &out)
            }
            out += "}"
        }
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
