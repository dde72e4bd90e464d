/// What a library entry says about one CAN asset: its hash and the metadata a receiving node
/// needs to ingest it with everything preserved. Held in canonical form (tags sorted and
/// unique, metadata canonical JSON) so that equal manifests encode to equal bytes.
public struct AssetManifest: Hashable, Sendable {
    /// The asset's SHA-256, as CAN names it.
    public var hash: Bytes32
    public var size: UInt64
    public var mimeType: String
    public var application: String?
    /// Sorted, without duplicates.
    public private(set) var tags: [String]
    public var user: String?
    public var filename: String?
    /// Canonical JSON object text (see `CanonicalJSON`).
    public private(set) var metadata: String
    /// Milliseconds since the Unix epoch, as CAN reports them.
    public var createdAt: Int64
    public var updatedAt: Int64
    /// A tombstone: the asset left the library (deleted, or no longer matches the filter).
    public var deleted: Bool

    /// Throws `CanonicalJSON.ParseError` when `metadata` is not a JSON object.
    public init(hash: Bytes32, size: UInt64, mimeType: String, application: String? = nil, tags: [String] = [],
                user: String? = nil, filename: String? = nil, metadata: String = "{}",
                createdAt: Int64, updatedAt: Int64, deleted: Bool = false) throws {
        self.hash = hash
        self.size = size
        self.mimeType = mimeType
        self.application = application
        self.tags = Self.canonicalTags(tags)
        self.user = user
        self.filename = filename
        self.metadata = try CanonicalJSON.canonicalize(metadata)
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deleted = deleted
    }

    /// Convenience for CAN's 64-hex-digit hashes; throws `EntryError.invalidHash` otherwise.
    public init(hashHex: String, size: UInt64, mimeType: String, application: String? = nil, tags: [String] = [],
                user: String? = nil, filename: String? = nil, metadata: String = "{}",
                createdAt: Int64, updatedAt: Int64, deleted: Bool = false) throws {
        guard let hash = Bytes32(hex: hashHex) else { throw EntryError.invalidHash(hashHex) }
        try self.init(hash: hash, size: size, mimeType: mimeType, application: application, tags: tags,
                      user: user, filename: filename, metadata: metadata,
                      createdAt: createdAt, updatedAt: updatedAt, deleted: deleted)
    }

    /// The hash as 64 lowercase hex digits, as CAN's API spells it.
    public var hashHex: String { hash.hex }

    public mutating func setTags(_ tags: [String]) {
        self.tags = Self.canonicalTags(tags)
    }

    public mutating func setMetadata(_ json: String) throws {
        metadata = try CanonicalJSON.canonicalize(json)
    }

    static func canonicalTags(_ tags: [String]) -> [String] {
        Array(Set(tags)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
