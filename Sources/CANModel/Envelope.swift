/// The JSON envelope every CAN Service response uses: `{"status":"success","data":...}` or
/// `{"status":"error","error":"..."}`.
public struct Envelope<Payload: Codable & Sendable>: Codable, Sendable {
    public var status: String
    public var data: Payload?
    public var error: String?

    public init(data: Payload) {
        status = "success"
        self.data = data
        error = nil
    }

    public var isSuccess: Bool { status == "success" }
}

/// The error form of the envelope, for responses that carry no payload.
public struct ErrorEnvelope: Codable, Sendable {
    public var status: String
    public var error: String

    public init(error: String) {
        status = "error"
        self.error = error
    }
}

/// The `data` of `/list` and `/search`: one page of assets, the number matching, and the change cursor.
public struct AssetPage: Codable, Sendable, Equatable {
    public var assets: [Asset]
    /// How many assets match the query in all (not just this page).
    public var total: Int64
    /// Pass as `since_seq` to continue after this page; services without change counters may omit it.
    public var lastSeq: Int64?

    public init(assets: [Asset], total: Int64, lastSeq: Int64?) {
        self.assets = assets
        self.total = total
        self.lastSeq = lastSeq
    }

    enum CodingKeys: String, CodingKey {
        case assets, total
        case lastSeq = "last_seq"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        assets = try c.decodeIfPresent([Asset].self, forKey: .assets) ?? []
        total = try c.decodeIfPresent(Int64.self, forKey: .total) ?? Int64(assets.count)
        lastSeq = try c.decodeIfPresent(Int64.self, forKey: .lastSeq)
    }
}

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
