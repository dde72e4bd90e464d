import GRDB

/// The parameters of `/list` and `/search`, and the SQL they select.
struct AssetQuery: Sendable {
    static let defaultLimit = 50
    static let maxLimit = 1000
    static let maxWaitMilliseconds = 30_000

    var limit = AssetQuery.defaultLimit
    var offset = 0
    /// Only assets changed after this counter value, oldest change first.
    var sinceSeq: Int64?
    var includeDeleted = false
    var waitMilliseconds = 0
    var application: String?
    /// Any-of.
    var tags: [String] = []
    var user: String?
    var mimePrefix: String?
    /// Case-insensitive substring of the filename.
    var filenameContains: String?

    /// The WHERE clause and its arguments.
    var filter: (sql: String, arguments: StatementArguments) {
        var clauses: [String] = []
        var arguments = StatementArguments()
        if !includeDeleted { clauses.append("deleted = 0") }
        if let sinceSeq {
            clauses.append("seq > ?")
            arguments += [sinceSeq]
        }
        if let application {
            clauses.append("application = ?")
            arguments += [application]
        }
        if let user {
            clauses.append("user = ?")
            arguments += [user]
        }
        if let mimePrefix {
            clauses.append("substr(mime_type, 1, length(?)) = ?")
            arguments += [mimePrefix, mimePrefix]
        }
        if let filenameContains {
            clauses.append("instr(lower(filename), lower(?)) > 0")
            arguments += [filenameContains]
        }
        if !tags.isEmpty {
            let marks = Array(repeating: "?", count: tags.count).joined(separator: ", ")
            clauses.append("EXISTS (SELECT 1 FROM json_each(assets.tags) WHERE json_each.value IN (\(marks)))")
            arguments += StatementArguments(tags)
        }
        return (clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "), arguments)
    }

    /// Change feeds read oldest first so a cursor can advance; plain listings show the latest change first.
    var order: String { sinceSeq == nil ? "ORDER BY seq DESC" : "ORDER BY seq ASC" }
}
