import CANModel
import Foundation

/// The body of `PATCH /asset/{hash}/meta`: the fields present replace the asset's; `null` clears an
/// optional field.
struct AssetPatch: Sendable {
    var tags: [String]?
    var application: String??
    var user: String??
    var filename: String??
    var metadata: [String: JSONValue]?

    /// Parses the JSON body; 400 names what is wrong.
    init(json data: Data) throws {
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw CANStoreError.badRequest("PATCH body must be a JSON object with any of tags, application, user, filename, metadata")
        }
        for (key, value) in object {
            switch key {
            case "tags":
                switch value {
                case .array(let items):
                    tags = try items.map {
                        guard case .string(let tag) = $0 else {
                            throw CANStoreError.badRequest("'tags' must be an array of strings")
                        }
                        return tag
                    }
                    tags = IngestForm.tags(tags ?? [])
                case .string(let text): tags = IngestForm.tags([text])
                case .null: tags = []
                default: throw CANStoreError.badRequest("'tags' must be an array of strings")
                }
            case "application": application = try Self.optionalString(value, key)
            case "user": user = try Self.optionalString(value, key)
            case "filename": filename = try Self.optionalString(value, key)
            case "metadata":
                switch value {
                case .object(let fields): metadata = fields
                case .null: metadata = [:]
                default: throw CANStoreError.badRequest("'metadata' must be a JSON object")
                }
            default:
                continue
            }
        }
    }

    private static func optionalString(_ value: JSONValue, _ key: String) throws -> String?? {
        switch value {
        case .string(let text): return .some(text)
        case .null: return .some(nil)
        default: throw CANStoreError.badRequest("'\(key)' must be a string or null")
        }
    }

    func apply(to asset: inout Asset) {
        if let tags { asset.tags = tags }
        if let application { asset.application = application }
        if let user { asset.user = user }
        if let filename { asset.filename = filename }
        if let metadata { asset.metadata = metadata }
    }
}
