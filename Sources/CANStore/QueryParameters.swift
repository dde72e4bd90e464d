import Hummingbird

/// Typed reads of query parameters that answer 400 for malformed values instead of ignoring them.
struct QueryParameters {
    let parameters: Parameters

    init(_ request: Request) {
        parameters = request.uri.queryParameters
    }

    func string(_ name: String) -> String? {
        guard let value = parameters.get(name), !value.isEmpty else { return nil }
        return value
    }

    func strings(_ name: String) -> [String] {
        parameters.getAll(name).filter { !$0.isEmpty }
    }

    func integer(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = string(name) else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            throw CANStoreError.badRequest(
                "query parameter '\(name)' must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text.prefix(40))'")
        }
        return value
    }

    func bool(_ name: String) throws -> Bool? {
        guard let text = string(name) else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw CANStoreError.badRequest("query parameter '\(name)' must be true or false, got '\(text.prefix(40))'")
        }
    }

    /// The `/list` parameters, plus the `/search` filters when `search` is set.
    func assetQuery(search: Bool) throws -> AssetQuery {
        var query = AssetQuery()
        // Over-large limits and waits are clamped rather than refused: the contract caps them, it does not forbid asking.
        query.limit = Int(min(try integer("limit", in: 0...Int64.max) ?? Int64(AssetQuery.defaultLimit), Int64(AssetQuery.maxLimit)))
        query.offset = Int(try integer("offset", in: 0...Int64(Int32.max)) ?? 0)
        query.sinceSeq = try integer("since_seq", in: 0...Int64.max)
        query.includeDeleted = try bool("include_deleted") ?? false
        query.waitMilliseconds = Int(min(try integer("wait_ms", in: 0...Int64.max) ?? 0, Int64(AssetQuery.maxWaitMilliseconds)))
        if search {
            query.application = string("application")
            query.tags = strings("tag")
            query.user = string("user")
            query.mimePrefix = string("mime_prefix")
            query.filenameContains = string("q")
        }
        return query
    }
}
