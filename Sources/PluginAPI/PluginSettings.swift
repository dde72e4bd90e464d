import Foundation

/// The `settings` mapping of one plugin's entry in plugins.yaml, as the plugin receives it.
public struct PluginSettings: Sendable {
    public let values: [String: JSONValue]

    /// Parses the JSON object text handed to `initialize`.
    public init(json: UnsafePointer<CChar>?) throws {
        guard let json else { self.values = [:]; return }
        do {
            self.values = try JSONDecoder().decode([String: JSONValue].self, from: Data(String(cString: json).utf8))
        } catch {
            throw PluginFailure(CSYNC_ERR_INVALID, "settings must be a mapping")
        }
    }

    public init(_ values: [String: JSONValue]) {
        self.values = values
    }

    public func string(_ key: String) throws -> String? {
        switch values[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw wrongType(key, "a string", other)
        }
    }

    public func int(_ key: String) throws -> Int? {
        switch values[key] {
        case nil, .null?: return nil
        case .int(let number)?: return Int(number)
        case let other?: throw wrongType(key, "an integer", other)
        }
    }

    public func double(_ key: String) throws -> Double? {
        switch values[key] {
        case nil, .null?: return nil
        case .int(let number)?: return Double(number)
        case .double(let number)?: return number
        case let other?: throw wrongType(key, "a number", other)
        }
    }

    public func bool(_ key: String) throws -> Bool? {
        switch values[key] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case let other?: throw wrongType(key, "true or false", other)
        }
    }

    /// A list of strings; a single string is accepted as a list of one.
    public func strings(_ key: String) throws -> [String]? {
        switch values[key] {
        case nil, .null?: return nil
        case .string(let text)?: return [text]
        case .array(let items)?:
            return try items.map {
                guard case .string(let text) = $0 else { throw wrongType(key, "a list of strings", $0) }
                return text
            }
        case let other?: throw wrongType(key, "a list of strings", other)
        }
    }

    /// Fails when the mapping holds a key outside `known`, naming it.
    public func rejectUnknownKeys(_ known: Set<String>) throws {
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw PluginFailure(CSYNC_ERR_INVALID,
                                "unknown setting '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    private func wrongType(_ key: String, _ expected: String, _ got: JSONValue) -> PluginFailure {
        PluginFailure(CSYNC_ERR_INVALID, "setting '\(key)' must be \(expected), not \(got.typeName)")
    }
}
