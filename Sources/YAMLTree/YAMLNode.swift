/// A parsed YAML node with the line it started on, so errors can point at the file.
public struct YAMLNode: Sendable, Equatable {
    /// The shape of a node. Scalars keep their text and whether they were quoted.
    public enum Value: Sendable, Equatable {
        case scalar(String, quoted: Bool)
        case sequence([YAMLNode])
        /// Keys in document order; each key keeps its own line.
        case mapping([(key: YAMLNode, value: YAMLNode)])

        public static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case let (.scalar(a, qa), .scalar(b, qb)): a == b && qa == qb
            case let (.sequence(a), .sequence(b)): a == b
            case let (.mapping(a), .mapping(b)):
                a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            default: false
            }
        }
    }

    public var value: Value
    /// 1-based line of the node's first character.
    public var line: Int
    /// 1-based column of the node's first character.
    public var column: Int

    public init(_ value: Value, line: Int, column: Int) {
        self.value = value
        self.line = line
        self.column = column
    }

    /// True for an unquoted `~`, `null`, `Null`, `NULL` or empty scalar.
    public var isNull: Bool {
        if case .scalar(let text, quoted: false) = value {
            return ["", "~", "null", "Null", "NULL"].contains(text)
        }
        return false
    }

    /// A short name of the node's kind, for error messages.
    public var kindName: String {
        switch value {
        case .scalar: isNull ? "null" : "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}
