import CYaml

/// A YAML syntax error with its position.
public struct YAMLSyntaxError: Error, CustomStringConvertible, Sendable {
    public let line: Int
    public let column: Int
    public let problem: String

    public var description: String { "line \(line), column \(column): \(problem)" }
}

/// Parses one YAML document with libyaml into a `YAMLNode` tree. Anchors and aliases are
/// refused: configuration files have no use for them, and refusing them rules out alias bombs.
public enum YAMLParser {
    /// Parses `text`; an empty document yields nil.
    public static func parse(_ text: String) throws -> YAMLNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLSyntaxError(line: 0, column: 0, problem: "libyaml could not initialize")
        }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = TreeBuilder()
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    throw YAMLSyntaxError(
                        line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1,
                        problem: parser.problem.map { String(cString: $0) } ?? "invalid YAML")
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try builder.handle(event)
            }
            return builder.document
        }
    }
}

/// Turns libyaml's event stream into nodes.
private struct TreeBuilder {
    private enum Open {
        case sequence([YAMLNode], line: Int, column: Int)
        case mapping([(key: YAMLNode, value: YAMLNode)], pendingKey: YAMLNode?, line: Int, column: Int)
    }

    private var stack: [Open] = []
    private(set) var document: YAMLNode?
    private var documents = 0

    mutating func handle(_ event: yaml_event_t) throws {
        let line = Int(event.start_mark.line) + 1
        let column = Int(event.start_mark.column) + 1
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                throw YAMLSyntaxError(line: line, column: column, problem: "only one YAML document is allowed")
            }
        case YAML_ALIAS_EVENT:
            throw YAMLSyntaxError(line: line, column: column, problem: "aliases (*name) are not supported")
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            if scalar.anchor != nil {
                throw YAMLSyntaxError(line: line, column: column, problem: "anchors (&name) are not supported")
            }
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            let quoted = scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE || scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE
                || scalar.style == YAML_LITERAL_SCALAR_STYLE || scalar.style == YAML_FOLDED_SCALAR_STYLE
            try add(YAMLNode(.scalar(text, quoted: quoted), line: line, column: column))
        case YAML_SEQUENCE_START_EVENT:
            stack.append(.sequence([], line: line, column: column))
        case YAML_SEQUENCE_END_EVENT:
            guard case .sequence(let items, let startLine, let startColumn) = stack.removeLast() else { return }
            try add(YAMLNode(.sequence(items), line: startLine, column: startColumn))
        case YAML_MAPPING_START_EVENT:
            stack.append(.mapping([], pendingKey: nil, line: line, column: column))
        case YAML_MAPPING_END_EVENT:
            guard case .mapping(let pairs, _, let startLine, let startColumn) = stack.removeLast() else { return }
            try add(YAMLNode(.mapping(pairs), line: startLine, column: startColumn))
        default:
            break
        }
    }

    private mutating func add(_ node: YAMLNode) throws {
        guard let top = stack.popLast() else {
            document = node
            return
        }
        switch top {
        case .sequence(var items, let line, let column):
            items.append(node)
            stack.append(.sequence(items, line: line, column: column))
        case .mapping(var pairs, let pendingKey, let line, let column):
            if let key = pendingKey {
                pairs.append((key, node))
                stack.append(.mapping(pairs, pendingKey: nil, line: line, column: column))
            } else {
                guard case .scalar(let name, _) = node.value else {
                    throw YAMLSyntaxError(line: node.line, column: node.column, problem: "mapping keys must be plain text")
                }
                if let earlier = pairs.first(where: { $0.key.value == node.value }) {
                    throw YAMLSyntaxError(line: node.line, column: node.column,
                                          problem: "duplicate key '\(name)' (first at line \(earlier.key.line))")
                }
                stack.append(.mapping(pairs, pendingKey: node, line: line, column: column))
            }
        }
    }
}
