/// The `data` of `/health`.
public struct HealthStatus: Codable, Sendable, Equatable {
    public var ok: Bool
    public var version: String?
    public var assets: Int64?

    public init(ok: Bool, version: String?, assets: Int64?) {
        self.ok = ok
        self.version = version
        self.assets = assets
    }
}
