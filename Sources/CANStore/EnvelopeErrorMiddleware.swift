import Hummingbird
import Logging

/// Turns every failure, including unknown routes, into an error envelope with the right status; unexpected
/// errors become 500 and are logged. Added before any route so it wraps them all and the not-found responder.
struct EnvelopeErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as CANStoreError {
            if error.status.code >= 500 {
                context.logger.error("\(request.method) \(request.uri.path) failed: \(error.message)")
            }
            var response = JSONResponse.error(error.status, error.message)
            if error.status == .contentTooLarge {
                // The rest of an oversized body is not worth reading; end the connection instead.
                response.headers[.connection] = "close"
            }
            return response
        } catch let error as HTTPError {
            let message = error.body ?? "\(error.status.reasonPhrase): \(request.method) \(request.uri.path)"
            return JSONResponse.error(error.status, message, headers: error.headers)
        } catch {
            context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            return JSONResponse.error(.internalServerError, "internal error in \(request.uri.path): \(error)")
        }
    }
}
