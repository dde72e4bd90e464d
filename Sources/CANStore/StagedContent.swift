/// Content on disk, fully written and hashed, waiting to be installed as an asset or dropped.
protocol StagedContent: AnyObject {
    /// The file to rename into the blob directory (same filesystem).
    var path: String { get }
    var size: Int64 { get }
    /// Removes the file: the content was refused, or the store already holds it.
    func discard() async
}
