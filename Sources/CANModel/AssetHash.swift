/// Checks and normalises asset hashes: 64 hex digits of SHA-256, lowercase on the wire.
public enum AssetHash {
    /// The lowercase form of `text` if it is 64 hex digits, else nil.
    public static func normalized(_ text: String) -> String? {
        let lower = text.lowercased()
        guard lower.utf8.count == 64, lower.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
        else { return nil }
        return lower
    }

    /// Whether `text` is a well-formed asset hash (any case).
    public static func isValid(_ text: String) -> Bool { normalized(text) != nil }
}
