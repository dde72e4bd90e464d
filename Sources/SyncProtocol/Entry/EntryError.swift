/// Why an entry was refused; names the asset and author so the log says whose entry it was.
public enum EntryError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidHash(String)
    case wrongLibrary(asset: String, author: String, expected: String, found: String)
    case badLibrarySignature(asset: String, author: String)
    case badAuthorSignature(asset: String, author: String)
    case timestampInFuture(asset: String, author: String, timestamp: UInt64, now: UInt64)

    public var description: String {
        switch self {
        case .invalidHash(let text):
            return "invalid asset hash \"\(text)\": expected 64 hex digits (SHA-256)"
        case .wrongLibrary(let asset, let author, let expected, let found):
            return "entry for asset \(asset) from node \(author) belongs to library key \(found), not \(expected): dropped"
        case .badLibrarySignature(let asset, let author):
            return "entry for asset \(asset) from node \(author) has an invalid library signature: the writer does not hold the library secret; dropped"
        case .badAuthorSignature(let asset, let author):
            return "entry for asset \(asset) has an invalid signature by its author node \(author): dropped"
        case .timestampInFuture(let asset, let author, let timestamp, let now):
            let ahead = Double(timestamp - now) / 1_000_000
            return "entry for asset \(asset) from node \(author) is timestamped \(ahead) s in the future "
                + "(limit \(SyncEntry.maximumFutureSkew / 1_000_000) s): check that node's clock; dropped"
        }
    }
}
