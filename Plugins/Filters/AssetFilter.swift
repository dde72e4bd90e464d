import PluginAPI

/// The reference filter: `application`, `tags` (any of), `user`, `mime_prefix` and `hashes`, combined with AND.
final class AssetFilter: Sendable {
    static let fields = ["application", "tags", "user", "mime_prefix", "hashes"]

    let application: String?
    let tags: Set<String>?
    let user: String?
    let mimePrefix: String?
    let hashes: Set<String>?

    /// Validates the fields of a library filter this plugin owns.
    init(_ object: [String: JSONValue]) throws {
        let settings = PluginSettings(object)
        do {
            application = try settings.string("application")
            user = try settings.string("user")
            mimePrefix = try settings.string("mime_prefix")?.lowercased()
            tags = try Self.list(object["tags"], field: "tags").map(Set.init)
            hashes = try Self.list(object["hashes"], field: "hashes").map { list in
                try Set(list.map { hash in
                    let lower = hash.lowercased()
                    guard lower.utf8.count == 64, lower.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
                        throw PluginFailure(CSYNC_ERR_INVALID, "filter field 'hashes': '\(hash)' is not a SHA-256 hash (64 hex digits)")
                    }
                    return lower
                })
            }
        } catch let failure as PluginFailure where failure.message.hasPrefix("setting ") {
            throw PluginFailure(CSYNC_ERR_INVALID, "filter field" + failure.message.dropFirst("setting".count))
        }
        if mimePrefix == "" {
            throw PluginFailure(CSYNC_ERR_INVALID, "filter field 'mime_prefix' must not be empty (leave it out to match every type)")
        }
    }

    private static func list(_ value: JSONValue?, field: String) throws -> [String]? {
        switch value {
        case nil, .null?: return nil
        case .array(let items)?:
            let texts = try items.map { item -> String in
                guard case .string(let text) = item else {
                    throw PluginFailure(CSYNC_ERR_INVALID, "filter field '\(field)' must be a list of strings, found \(item.typeName) in it")
                }
                return text
            }
            guard !texts.isEmpty else {
                throw PluginFailure(CSYNC_ERR_INVALID, "filter field '\(field)' must list at least one value (leave it out to match all)")
            }
            return texts
        case let other?:
            throw PluginFailure(CSYNC_ERR_INVALID, "filter field '\(field)' must be a list of strings, not \(other.typeName)")
        }
    }

    func matches(_ asset: csync_asset_view) -> Bool {
        if let application, asset.application.map({ String(cString: $0) }) != application { return false }
        if let user, asset.user.map({ String(cString: $0) }) != user { return false }
        if let mimePrefix {
            let mime = asset.mime_type.map { String(cString: $0).lowercased() } ?? ""
            if !mime.hasPrefix(mimePrefix) { return false }
        }
        if let hashes, !hashes.contains(String(cString: asset.hash).lowercased()) { return false }
        if let tags {
            let assetTags = (0..<asset.n_tags).compactMap { asset.tags[$0].map { String(cString: $0) } }
            if !assetTags.contains(where: tags.contains) { return false }
        }
        return true
    }
}
