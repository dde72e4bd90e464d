/// One stored asset as the CAN Service API describes it: content identity (SHA-256), size and metadata.
///
/// Decoding is tolerant: unknown fields are ignored and optional or defaultable fields may be absent,
/// so the client works against any service that implements the contract.
public struct Asset: Codable, Sendable, Equatable, Hashable {
    /// 64 lowercase hex digits: the SHA-256 of the content.
    public var hash: String
    /// Content length in bytes.
    public var size: Int64
    public var mimeType: String
    public var application: String?
    public var tags: [String]
    public var user: String?
    public var filename: String?
    /// Any JSON object.
    public var metadata: [String: JSONValue]
    /// Milliseconds since the Unix epoch when the asset was first created (preserved across sync).
    public var createdAt: Int64
    /// Milliseconds since the Unix epoch of the last metadata change.
    public var updatedAt: Int64
    /// The store's change counter for this asset's latest change, when the service reports one.
    public var seq: Int64?
    /// True for a deleted asset (listed only when asked for).
    public var deleted: Bool?
    /// True when an ingest found the content already stored.
    public var duplicate: Bool?

    public init(hash: String, size: Int64, mimeType: String, application: String? = nil, tags: [String] = [],
                user: String? = nil, filename: String? = nil, metadata: [String: JSONValue] = [:],
                createdAt: Int64, updatedAt: Int64, seq: Int64? = nil, deleted: Bool? = nil,
                duplicate: Bool? = nil) {
        self.hash = hash
        self.size = size
        self.mimeType = mimeType
        self.application = application
        self.tags = tags
        self.user = user
        self.filename = filename
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.seq = seq
        self.deleted = deleted
        self.duplicate = duplicate
    }

    /// Whether the asset is marked deleted (an absent flag means it is not).
    public var isDeleted: Bool { deleted ?? false }

    enum CodingKeys: String, CodingKey {
        case hash, size, application, tags, user, filename, metadata, seq, deleted, duplicate
        case mimeType = "mime_type"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hash = try c.decode(String.self, forKey: .hash)
        size = try c.decode(Int64.self, forKey: .size)
        mimeType = try c.decodeIfPresent(String.self, forKey: .mimeType) ?? "application/octet-stream"
        application = try c.decodeIfPresent(String.self, forKey: .application)
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        user = try c.decodeIfPresent(String.self, forKey: .user)
        filename = try c.decodeIfPresent(String.self, forKey: .filename)
        metadata = try c.decodeIfPresent([String: JSONValue].self, forKey: .metadata) ?? [:]
        createdAt = try c.decodeIfPresent(Int64.self, forKey: .createdAt) ?? 0
        updatedAt = try c.decodeIfPresent(Int64.self, forKey: .updatedAt) ?? createdAt
        seq = try c.decodeIfPresent(Int64.self, forKey: .seq)
        deleted = try c.decodeIfPresent(Bool.self, forKey: .deleted)
        duplicate = try c.decodeIfPresent(Bool.self, forKey: .duplicate)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hash, forKey: .hash)
        try c.encode(size, forKey: .size)
        try c.encode(mimeType, forKey: .mimeType)
        // The contract spells absent values as null rather than leaving the key out.
        try c.encode(application, forKey: .application)
        try c.encode(tags, forKey: .tags)
        try c.encode(user, forKey: .user)
        try c.encode(filename, forKey: .filename)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encodeIfPresent(seq, forKey: .seq)
        try c.encodeIfPresent(deleted, forKey: .deleted)
        try c.encodeIfPresent(duplicate, forKey: .duplicate)
    }
}
