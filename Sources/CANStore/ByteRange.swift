/// A single `Range: bytes=...` request (`a-b`, `a-` or `-n`) resolved against a content length.
enum ByteRange: Equatable {
    /// No usable Range header: send everything with 200.
    case whole
    /// Send these bytes with 206.
    case partial(ClosedRange<Int64>)
    /// Nothing of the content satisfies the range: 416.
    case unsatisfiable

    /// Resolves `header` for content of `size` bytes. Malformed or multi-range headers are ignored (the whole
    /// content is sent), as RFC 9110 allows.
    init(header: String?, size: Int64) {
        guard let header else {
            self = .whole
            return
        }
        let trimmed = header.trimmingPrefix(" ")
        guard trimmed.lowercased().hasPrefix("bytes=") else {
            self = .whole
            return
        }
        let spec = trimmed.dropFirst("bytes=".count).filter { $0 != " " }
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else {
            self = .whole
            return
        }
        let first = spec[..<dash]
        let last = spec[spec.index(after: dash)...]
        if first.isEmpty {
            guard let suffix = Int64(last) else {
                self = .whole
                return
            }
            guard suffix > 0, size > 0 else {
                self = .unsatisfiable
                return
            }
            self = .partial(max(0, size - suffix)...(size - 1))
            return
        }
        guard let start = Int64(first), start >= 0 else {
            self = .whole
            return
        }
        var end = size - 1
        if !last.isEmpty {
            guard let value = Int64(last), value >= start else {
                self = .whole
                return
            }
            end = min(value, size - 1)
        }
        self = start < size ? .partial(start...end) : .unsatisfiable
    }
}
