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
        var json = JSONWriter()
        json.raw("{\"status\":\"success\",\"data\":")
        asset.write(to: &json)
        json.raw("}")
        return make(status: status, body: json.bytes)
    }

    /// A page of assets, written by `JSONWriter`: every change-feed poll answers with one.
    static func success(_ page: AssetPage, status: HTTPResponse.Status = .ok) -> Response {
        var json = JSONWriter(capacity: 256 + page.assets.count * 512)
        json.raw("{\"status\":\"success\",\"data\":")
        page.write(to: &json)
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
