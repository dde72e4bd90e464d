import CANModel
import Foundation
import Hummingbird

/// Builds the store's JSON envelope responses.
enum JSONResponse {
    static func success<Payload: Codable & Sendable>(_ data: Payload, status: HTTPResponse.Status = .ok) throws -> Response {
        make(status: status, body: try JSONEncoder().encode(Envelope(data: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        let body = (try? JSONEncoder().encode(ErrorEnvelope(error: message))) ?? Data(#"{"status":"error"}"#.utf8)
        var response = make(status: status, body: body)
        response.headers.append(contentsOf: headers)
        return response
    }

    private static func make(status: HTTPResponse.Status, body: Data) -> Response {
        Response(status: status,
                 headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(body.count)],
                 body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
