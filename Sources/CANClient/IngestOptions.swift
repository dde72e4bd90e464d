import CANModel

/// The metadata fields sent with an `/ingest` upload; nil fields are left out so the service applies its defaults.
public struct IngestOptions: Sendable, Equatable {
    public var mimeType: String?
    public var application: String?
    public var tags: [String]
    public var user: String?
    public var filename: String?
    public var metadata: [String: JSONValue]?
    /// Milliseconds since the epoch; set it to keep an asset's original creation time across sync.
    public var createdAt: Int64?
    /// The service refuses the upload (409) if the content's SHA-256 differs.
    public var expectedHash: String?

    public init(mimeType: String? = nil, application: String? = nil, tags: [String] = [], user: String? = nil,
                filename: String? = nil, metadata: [String: JSONValue]? = nil, createdAt: Int64? = nil,
                expectedHash: String? = nil) {
        self.mimeType = mimeType
        self.application = application
        self.tags = tags
        self.user = user
        self.filename = filename
        self.metadata = metadata
        self.createdAt = createdAt
        self.expectedHash = expectedHash
    }

    /// The options that carry an existing asset's metadata over to another store unchanged.
    public init(copying asset: Asset) {
        self.init(mimeType: asset.mimeType, application: asset.application, tags: asset.tags, user: asset.user,
                  filename: asset.filename, metadata: asset.metadata, createdAt: asset.createdAt,
                  expectedHash: asset.hash)
    }
}
