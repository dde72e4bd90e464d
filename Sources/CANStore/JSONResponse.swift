import CANModel
import Foundation
import Hummingbird

/// Builds the store's JSON envelope responses.
enum JSONResponse {
    static func success<Payload: Codable & Sendable>(_ data: Payload, status: HTTPResponse.Status = .ok) throws -> Response {
        make(status: status, body: try JSONEncoder().encode(Envelope(data: data)))
    }

    /// An asset, written by `JSONWriter`: every ingest and metadata read answers with one.
    static func success(_ asset: Asset, status: HTTPResponse.Status = .ok) -> Response {
        success(status: status, capacity: 512, data: asset.write)
    }

    /// A page of assets, written by `JSONWriter`: every change-feed poll answers with one.
    static func success(_ page: AssetPage, status: HTTPResponse.Status = .ok) -> Response {
        success(status: status, capacity: 256 + page.assets.count * 512, data: page.write)
    }

    private static func success(status: HTTPResponse.Status, capacity: Int, data: (inout JSONWriter) -> Void) -> Response {
        var json = JSONWriter(capacity: capacity)
        json.raw("{\"status\":\"success\",\"data\":")
        data(&json)
        json.raw("}")
        return make(status: status, body: json.bytes)
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        let body = (try? JSONEncoder().encode(ErrorEnvelope(error: message))) ?? Data(#"{"status":"error"}"#.utf8)
        var response = make(status: status, body: body)
        response.headers.append(contentsOf: headers)
        return response
    }

    private static func make(status: HTTPResponse.Status, body: some Collection<UInt8>) -> Response {
        Response(status: status,
                 headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(body.count)],
                 body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
