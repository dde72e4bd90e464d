import Foundation
import Hummingbird

/// The success envelope every endpoint answers with: `{"status":"success","data":...}`.
public struct APIResponse<Payload: Encodable & Sendable>: ResponseGenerator, Sendable {
    public var status: HTTPResponse.Status
    public var data: Payload

    public init(_ data: Payload, status: HTTPResponse.Status = .ok) {
        self.data = data
        self.status = status
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try APIJSON.encoder.encode(Envelope(data: data))
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private struct Envelope: Encodable {
        let status = "success"
        let data: Payload
    }
}

/// The JSON coders of the node's API.
enum APIJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
