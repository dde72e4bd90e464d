import Foundation
import Hummingbird

/// An API failure answered with the error envelope: `{"status":"error","error":"..."}`.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try APIJSON.encoder.encode(["status": "error", "error": message])
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Turns every error that escapes a route — unknown paths, bad JSON, internal faults — into the
/// error envelope, so API clients only ever see one error shape.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound
                ? "no such endpoint: \(request.method) \(request.uri.path)"
                : error.status.reasonPhrase)
            return try APIError(error.status, message).response(from: request, context: context)
        } catch let error as DecodingError {
            return try APIError.badRequest("invalid JSON body: \(error.plainDescription)").response(from: request, context: context)
        } catch {
            context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            return try APIError(.internalServerError, "internal error: \(error)").response(from: request, context: context)
        }
    }
}

extension DecodingError {
    /// One sentence naming the field and the problem, for API error messages.
    var plainDescription: String {
        func path(_ context: Context) -> String {
            let names = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? "body" : names.joined(separator: ".")
        }
        switch self {
        case .keyNotFound(let key, let context): return "missing field '\(path(context).isEmpty || path(context) == "body" ? key.stringValue : path(context) + "." + key.stringValue)'"
        case .typeMismatch(let type, let context): return "field '\(path(context))' must be \(type)"
        case .valueNotFound(let type, let context): return "field '\(path(context))' must be \(type), not null"
        case .dataCorrupted(let context): return context.debugDescription
        @unknown default: return String(describing: self)
        }
    }
}
