/// Typed, validating access to a YAML mapping read from a file. Every failure is a
/// `YAMLFileError` naming the file, the line and the key.
public struct YAMLMapping: Sendable {
    public let file: String
    public let node: YAMLNode
    /// The dotted path of this mapping inside the document ("" at the top), for key names in errors.
    public let path: String
    public let pairs: [(key: String, keyLine: Int, value: YAMLNode)]

    /// Wraps `node`, which must be a mapping (or null, read as empty).
    public init(_ node: YAMLNode, file: String, path: String = "") throws {
        self.file = file
        self.node = node
        self.path = path
        switch node.value {
        case .mapping(let entries):
            pairs = entries.map { entry in
                guard case .scalar(let name, _) = entry.key.value else { preconditionFailure("keys are scalars") }
                return (name, entry.key.line, entry.value)
            }
        case _ where node.isNull:
            pairs = []
        default:
            throw YAMLFileError(file: file, line: node.line, key: path.isEmpty ? nil : path,
                                problem: "expected a mapping, found \(node.kindName)")
        }
    }

    /// Parses `text` (the contents of `file`) and wraps its top-level mapping; an empty file is an empty mapping.
    public static func parse(_ text: String, file: String) throws -> YAMLMapping {
        do {
            let root = try YAMLParser.parse(text) ?? YAMLNode(.scalar("", quoted: false), line: 1, column: 1)
            return try YAMLMapping(root, file: file)
        } catch let error as YAMLSyntaxError {
            throw YAMLFileError(file: file, line: error.line, key: nil, problem: "invalid YAML: \(error.problem)")
        }
    }

    public var keys: [String] { pairs.map(\.key) }

    /// The full name of `key` for messages: "settings.relays" inside a nested mapping.
    public func qualified(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func value(_ key: String) -> YAMLNode? {
        pairs.first { $0.key == key }.flatMap { $0.value.isNull ? nil : $0.value }
    }

    /// An error about `key`, at the line of its value (or of the mapping when the key is absent).
    public func error(_ key: String, _ problem: String) -> YAMLFileError {
        YAMLFileError(file: file, line: value(key)?.line ?? pairs.first { $0.key == key }?.keyLine ?? node.line,
                      key: qualified(key), problem: problem)
    }

    /// Fails on the first key outside `known`, listing the known ones.
    public func rejectUnknownKeys(_ known: [String]) throws {
        for pair in pairs where !known.contains(pair.key) {
            throw YAMLFileError(file: file, line: pair.keyLine, key: qualified(pair.key),
                                problem: "unknown key (known keys: \(known.joined(separator: ", ")))")
        }
    }

    public func string(_ key: String) throws -> String? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let text, _) = node.value else {
            throw error(key, "expected text, found \(node.kindName)")
        }
        return text
    }

    public func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let text, quoted: false) = node.value, let number = Int(text) else {
            throw error(key, "expected a whole number, found \(describe(node))")
        }
        guard range.contains(number) else {
            throw error(key, "\(number) is out of range (\(range.lowerBound)...\(range.upperBound))")
        }
        return number
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let text, quoted: false) = node.value, let flag = YAMLScalar.bool(text) else {
            throw error(key, "expected true or false, found \(describe(node))")
        }
        return flag
    }

    public func mapping(_ key: String) throws -> YAMLMapping? {
        guard let node = value(key) else { return nil }
        return try YAMLMapping(node, file: file, path: qualified(key))
    }

    public func sequence(_ key: String) throws -> [YAMLNode]? {
        guard let node = value(key) else { return nil }
        guard case .sequence(let items) = node.value else {
            throw error(key, "expected a list, found \(node.kindName)")
        }
        return items
    }

    private func describe(_ node: YAMLNode) -> String {
        if case .scalar(let text, _) = node.value { return "'\(text)'" }
        return node.kindName
    }
}
