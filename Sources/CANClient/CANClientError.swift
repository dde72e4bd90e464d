/// A failed call to a CAN Service: the HTTP status and the service's own message, or, when the service
/// could not be reached, no status and the transport error's description.
public struct CANClientError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status the service answered with; nil when there was no answer.
    public let status: Int?
    /// The service's `error` message, or what went wrong on the way.
    public let message: String
    /// The URL that was called.
    public let url: String

    public init(status: Int?, message: String, url: String) {
        self.status = status
        self.message = message
        self.url = url
    }

    /// True for 404: the asset is not in the store.
    public var isNotFound: Bool { status == 404 }

    public var description: String {
        if let status { return "CAN Service answered \(status) for \(url): \(message)" }
        return "CAN Service at \(url) unreachable: \(message) (is the store running?)"
    }
}
