import CANModel

/// A `PATCH /asset/{hash}/meta` body: only the fields set here are replaced. For the optional text fields,
/// `.some(nil)` clears the field and `nil` leaves it alone.
public struct AssetMetadataPatch: Sendable, Equatable {
    public var tags: [String]?
    public var application: String??
    public var user: String??
    public var filename: String??
    public var metadata: [String: JSONValue]?

    public init(tags: [String]? = nil, application: String?? = nil, user: String?? = nil, filename: String?? = nil,
                metadata: [String: JSONValue]? = nil) {
        self.tags = tags
        self.application = application
        self.user = user
        self.filename = filename
        self.metadata = metadata
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let tags { object["tags"] = .array(tags.map(JSONValue.string)) }
        if let application { object["application"] = application.map(JSONValue.string) ?? .null }
        if let user { object["user"] = user.map(JSONValue.string) ?? .null }
        if let filename { object["filename"] = filename.map(JSONValue.string) ?? .null }
        if let metadata { object["metadata"] = .object(metadata) }
        return .object(object)
    }
}
