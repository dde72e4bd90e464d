import CANModel
import Foundation
import SyncProtocol

/// One document entry as `GET /libraries/{id}/entries` shows it: the asset's manifest plus who
/// wrote it and when.
struct EntryView: Encodable, Sendable {
    var hash: String
    var size: UInt64
    var mimeType: String
    var application: String?
    var tags: [String]
    var user: String?
    var filename: String?
    var metadata: JSONValue
    var createdAt: Int64
    var updatedAt: Int64
    var deleted: Bool
    var timestamp: UInt64
    var author: String

    init(_ entry: SyncEntry) {
        let manifest = entry.manifest
        hash = manifest.hashHex
        size = manifest.size
        mimeType = manifest.mimeType
        application = manifest.application
        tags = manifest.tags
        user = manifest.user
        filename = manifest.filename
        metadata = (try? JSONDecoder().decode(JSONValue.self, from: Data(manifest.metadata.utf8))) ?? .object([:])
        createdAt = manifest.createdAt
        updatedAt = manifest.updatedAt
        deleted = manifest.deleted
        timestamp = entry.timestamp
        author = entry.author.hex
    }

    enum CodingKeys: String, CodingKey {
        case hash, size, application, tags, user, filename, metadata, deleted, timestamp, author
        case mimeType = "mime_type", createdAt = "created_at", updatedAt = "updated_at"
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hash, forKey: .hash)
        try container.encode(size, forKey: .size)
        try container.encode(mimeType, forKey: .mimeType)
        try container.encode(application, forKey: .application)
        try container.encode(tags, forKey: .tags)
        try container.encode(user, forKey: .user)
        try container.encode(filename, forKey: .filename)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(deleted, forKey: .deleted)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(author, forKey: .author)
    }
}
