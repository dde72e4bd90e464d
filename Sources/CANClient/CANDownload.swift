import AsyncHTTPClient
import NIOCore

/// An asset's bytes as they arrive: the response's framing and a body to iterate as `ByteBuffer` chunks.
/// Iterate the body once, promptly; it holds the connection until consumed.
public struct CANDownload: Sendable {
    /// 200 for the whole asset, 206 for a range.
    public let status: Int
    public let contentType: String?
    /// Bytes this response carries.
    public let contentLength: Int64?
    /// For 206: `bytes a-b/size`.
    public let contentRange: String?
    public let body: HTTPClientResponse.Body
}
