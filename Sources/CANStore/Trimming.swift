extension StringProtocol {
    /// The text without leading and trailing whitespace and newlines: what Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)` gives, at a fraction of its cost per request.
    func trimmingWhitespace() -> String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
