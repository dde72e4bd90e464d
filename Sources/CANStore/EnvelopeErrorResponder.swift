import Hummingbird
import Logging

/// Wraps the router so that every failure, including unknown routes, leaves as an error envelope with the
/// right status; unexpected errors become 500 and are logged.
struct EnvelopeErrorResponder<Wrapped: HTTPResponder>: HTTPResponder where Wrapped.Context: RequestContext {
    let wrapped: Wrapped

    func respond(to request: Request, context: Wrapped.Context) async throws -> Response {
        do {
            return try await wrapped.respond(to: request, context: context)
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
            let message = error.body ?? "\(error.status.reasonPhrase) (\(request.method) \(request.uri.path))"
            return JSONResponse.error(error.status, message, headers: error.headers)
        } catch {
            context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            return JSONResponse.error(.internalServerError, "internal error in \(request.uri.path): \(error)")
        }
    }
}
