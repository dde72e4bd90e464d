import AsyncHTTPClient
import CANModel
import Foundation
import NIOCore

/// The bundled store's partial uploads (`/partial/{hash}`), an extension of the CAN Service API that
/// `/health` announces with `partial_uploads: true`: bytes appended across requests, kept when a request
/// fails part way and across restarts, then ingested without sending them again.
extension CANClient {
    /// `GET /health`: whether the service offers partial uploads.
    public func offersPartialUploads() async throws -> Bool {
        try await health().partialUploads == true
    }

    /// `GET /partial/{hash}`: the bytes held so far (`contentLength` says how many), or nil when there are none.
    public func partialUpload(_ hash: String) async throws -> CANDownload? {
        let url = baseURL + "/partial/\(try Self.checked(hash))"
        let response = try await withRetries(url: url) {
            try await self.httpClient.execute(HTTPClientRequest(url: url), timeout: .hours(24))
        }
        if response.status.code == 404 { return nil }
        guard response.status.code < 300 else { throw await Self.error(from: response, url: url) }
        return CANDownload(
            status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
            contentLength: response.headers.first(name: "Content-Length").flatMap { Int64($0) },
            contentRange: nil, body: response.body)
    }

    /// `PUT /partial/{hash}?offset=`: appends `body` at `offset` (bytes after it are dropped) and returns
    /// the bytes the service holds afterwards. Sent once, never retried: `body` is consumed as it goes.
    public func appendPartialUpload<Body: AsyncSequence & Sendable>(_ hash: String, at offset: Int64, body: Body) async throws -> Int64
    where Body.Element == ByteBuffer {
        let url = baseURL + "/partial/\(try Self.checked(hash))?offset=\(offset)"
        var request = HTTPClientRequest(url: url)
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .stream(body, length: .unknown)
        let response = try await executeOnce(request, url: url)
        let status: PartialUploadStatus = try await Self.decode(response, url: url)
        return status.size
    }

    /// `POST /partial/{hash}/ingest`: ingests the partial upload with `options`' fields. The content must
    /// hash to `hash`; otherwise the service answers 409 and drops the upload.
    public func ingestPartialUpload(_ hash: String, options: IngestOptions) async throws -> Asset {
        try await call(.POST, "/partial/\(try Self.checked(hash))/ingest", body: try JSONEncoder().encode(Self.fieldObject(options)))
    }

    /// `DELETE /partial/{hash}`: drops the partial upload, if there is one.
    public func removePartialUpload(_ hash: String) async throws {
        let _: PartialUploadStatus = try await call(.DELETE, "/partial/\(try Self.checked(hash))")
    }

    /// The ingest form's fields as one JSON object.
    private static func fieldObject(_ options: IngestOptions) -> JSONValue {
        var fields: [String: JSONValue] = ["tags": .array(options.tags.map(JSONValue.string))]
        if let mimeType = options.mimeType { fields["mime_type"] = .string(mimeType) }
        if let application = options.application { fields["application"] = .string(application) }
        if let user = options.user { fields["user"] = .string(user) }
        if let filename = options.filename { fields["filename"] = .string(filename) }
        if let metadata = options.metadata { fields["metadata"] = .object(metadata) }
        if let createdAt = options.createdAt { fields["created_at"] = .number(Double(createdAt)) }
        return .object(fields)
    }
}
