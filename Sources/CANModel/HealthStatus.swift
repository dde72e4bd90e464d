/// The `data` of `/health`.
public struct HealthStatus: Codable, Sendable, Equatable {
    public var ok: Bool
    public var version: String?
    public var assets: Int64?
    /// True when the service offers the bundled store's partial uploads (`/partial/{hash}`), an
    /// extension of the CAN Service API; absent from other services.
    public var partialUploads: Bool?

    enum CodingKeys: String, CodingKey {
        case ok, version, assets
        case partialUploads = "partial_uploads"
    }

    public init(ok: Bool, version: String?, assets: Int64?, partialUploads: Bool? = nil) {
        self.ok = ok
        self.version = version
        self.assets = assets
        self.partialUploads = partialUploads
    }
}
