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
