/// The paging and change-feed parameters of `/list` and `/search`; nil means "service default".
public struct ListQuery: Sendable, Equatable {
    /// Page size (the service defaults to 50 and caps at 1000).
    public var limit: Int?
    public var offset: Int?
    /// Only assets changed after this `seq`, oldest change first.
    public var sinceSeq: Int64?
    public var includeDeleted: Bool
    /// With `sinceSeq`: let the service hold the request up to this long (it caps at 30000) until a change lands.
    public var waitMilliseconds: Int?

    public init(limit: Int? = nil, offset: Int? = nil, sinceSeq: Int64? = nil, includeDeleted: Bool = false,
                waitMilliseconds: Int? = nil) {
        self.limit = limit
        self.offset = offset
        self.sinceSeq = sinceSeq
        self.includeDeleted = includeDeleted
        self.waitMilliseconds = waitMilliseconds
    }

    var items: [(String, String)] {
        var items: [(String, String)] = []
        if let limit { items.append(("limit", String(limit))) }
        if let offset { items.append(("offset", String(offset))) }
        if let sinceSeq { items.append(("since_seq", String(sinceSeq))) }
        if includeDeleted { items.append(("include_deleted", "true")) }
        if let waitMilliseconds { items.append(("wait_ms", String(waitMilliseconds))) }
        return items
    }
}
