/// The filters of `/search`, combined with AND; `tags` match any-of.
public struct SearchFilter: Sendable, Equatable {
    public var application: String?
    public var tags: [String]
    public var user: String?
    public var mimePrefix: String?
    /// Substring of the filename.
    public var filenameContains: String?

    public init(application: String? = nil, tags: [String] = [], user: String? = nil, mimePrefix: String? = nil,
                filenameContains: String? = nil) {
        self.application = application
        self.tags = tags
        self.user = user
        self.mimePrefix = mimePrefix
        self.filenameContains = filenameContains
    }

    var items: [(String, String)] {
        var items: [(String, String)] = []
        if let application { items.append(("application", application)) }
        items += tags.map { ("tag", $0) }
        if let user { items.append(("user", user)) }
        if let mimePrefix { items.append(("mime_prefix", mimePrefix)) }
        if let filenameContains { items.append(("q", filenameContains)) }
        return items
    }
}
