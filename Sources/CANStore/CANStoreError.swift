import HTTPTypes

/// A failure the store reports to its caller as an HTTP status with a human-readable message.
public struct CANStoreError: Error, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    static func badRequest(_ message: String) -> Self { .init(.badRequest, message) }
    static func notFound(_ message: String) -> Self { .init(.notFound, message) }
    static func conflict(_ message: String) -> Self { .init(.conflict, message) }
    static func tooLarge(_ message: String) -> Self { .init(.contentTooLarge, message) }
    static func fault(_ message: String) -> Self { .init(.internalServerError, message) }
}
