/// The `data` of the bundled store's partial-upload endpoints: how many bytes it holds for the hash.
public struct PartialUploadStatus: Codable, Sendable, Equatable {
    public var hash: String
    public var size: Int64

    public init(hash: String, size: Int64) {
        self.hash = hash
        self.size = size
    }
}
