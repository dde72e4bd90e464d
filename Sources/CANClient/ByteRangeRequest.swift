/// A byte range of an asset to download, as in an HTTP `Range: bytes=...` header.
public enum ByteRangeRequest: Sendable, Equatable {
    /// `bytes=a-b` (inclusive).
    case closed(Int64, Int64)
    /// `bytes=a-`.
    case from(Int64)
    /// `bytes=-n`: the last n bytes.
    case suffix(Int64)

    var header: String {
        switch self {
        case .closed(let first, let last): "bytes=\(first)-\(last)"
        case .from(let first): "bytes=\(first)-"
        case .suffix(let count): "bytes=-\(count)"
        }
    }

    /// The same range with its first `count` bytes already received.
    func advanced(by count: Int64) -> ByteRangeRequest {
        switch self {
        case .closed(let first, let last): .closed(first + count, last)
        case .from(let first): .from(first + count)
        case .suffix(let length): .suffix(length - count)
        }
    }
}
