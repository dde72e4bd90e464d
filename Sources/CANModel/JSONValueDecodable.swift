/// A value read from a parsed `JSONValue` rather than through `JSONDecoder`: the client reads every
/// change-feed page and ingest answer this way. It accepts what the type's `Decodable` conformance accepts.
public protocol JSONValueDecodable {
    init(json: JSONValue) throws
}

/// A JSON value that does not have the shape a type expects.
public struct JSONShapeError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var expected: String
    public var description: String { "\(path): expected \(expected)" }

    public init(path: String, expected: String) {
        self.path = path
        self.expected = expected
    }
}

extension JSONValue {
    /// The members of an object; throws naming `path` for anything else.
    func members(_ path: String) throws -> [String: JSONValue] {
        guard case .object(let members) = self else { throw JSONShapeError(path: path, expected: "an object") }
        return members
    }
}

extension [String: JSONValue] {
    /// The member `key`; nil when it is absent or null.
    private func present(_ key: String) -> JSONValue? {
        guard let value = self[key], value != .null else { return nil }
        return value
    }

    func string(_ key: String) throws -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let text) = value else { throw JSONShapeError(path: key, expected: "a string") }
        return text
    }

    func int64(_ key: String) throws -> Int64? {
        guard let value = present(key) else { return nil }
        guard case .number(let number) = value, number.rounded() == number,
              number >= -9_223_372_036_854_775_808, number < 9_223_372_036_854_775_808
        else { throw JSONShapeError(path: key, expected: "an integer") }
        return Int64(number)
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = present(key) else { return nil }
        guard case .bool(let flag) = value else { throw JSONShapeError(path: key, expected: "true or false") }
        return flag
    }

    func strings(_ key: String) throws -> [String]? {
        guard let value = present(key) else { return nil }
        guard case .array(let items) = value else { throw JSONShapeError(path: key, expected: "an array of strings") }
        return try items.map { item in
            guard case .string(let text) = item else { throw JSONShapeError(path: key, expected: "an array of strings") }
            return text
        }
    }

    func required<Field>(_ key: String, _ read: (String) throws -> Field?, _ expected: String) throws -> Field {
        guard let value = try read(key) else { throw JSONShapeError(path: key, expected: expected) }
        return value
    }
}

extension Asset: JSONValueDecodable {
    public init(json: JSONValue) throws {
        let object = try json.members("asset")
        let createdAt = try object.int64("created_at") ?? 0
        self.init(
            hash: try object.required("hash", object.string, "a string"),
            size: try object.required("size", object.int64, "an integer"),
            mimeType: try object.string("mime_type") ?? "application/octet-stream",
            application: try object.string("application"), tags: try object.strings("tags") ?? [],
            user: try object.string("user"), filename: try object.string("filename"),
            metadata: try object["metadata"].flatMap { $0 == .null ? nil : try $0.members("metadata") } ?? [:],
            createdAt: createdAt, updatedAt: try object.int64("updated_at") ?? createdAt,
            seq: try object.int64("seq"), deleted: try object.bool("deleted"), duplicate: try object.bool("duplicate"))
    }
}

extension AssetPage: JSONValueDecodable {
    public init(json: JSONValue) throws {
        let object = try json.members("page")
        var assets: [Asset] = []
        if let list = object["assets"], list != .null {
            guard case .array(let items) = list else { throw JSONShapeError(path: "assets", expected: "an array") }
            assets = try items.map(Asset.init(json:))
        }
        self.init(assets: assets, total: try object.int64("total") ?? Int64(assets.count), lastSeq: try object.int64("last_seq"))
    }
}
