import CANModel
import Foundation
import Hummingbird
import NIOCore

/// The bundled store's partial uploads, an extension of the CAN Service API on `/partial/{hash}`
/// (announced by `/health` as `partial_uploads: true`):
///
/// - `GET` the bytes held so far (404 when there are none, 409 while a request appends);
/// - `PUT ?offset=N` appends the raw body at byte N (at most the bytes held; later ones are dropped);
///   the bytes that arrive stay even when the request fails part way; answers `{hash, size}`;
/// - `POST /ingest` with a JSON object of the `/ingest` form fields (`mime_type`, `application`, `tags`,
///   `user`, `filename`, `metadata`, `created_at`) ingests the upload; the content must hash to `{hash}`,
///   else 409 and the upload is dropped;
/// - `DELETE` drops it.
struct PartialUploadRoutes: Sendable {
    let store: @Sendable (BasicRequestContext) throws -> AssetStore
    let hash: @Sendable (BasicRequestContext) throws -> String
    let maxBodyBytes: Int64

    func register(on api: RouterGroup<BasicRequestContext>) {
        api.get("partial/:hash", use: content)
        api.put("partial/:hash", use: append)
        api.post("partial/:hash/ingest", use: ingest)
        api.delete("partial/:hash", use: remove)
    }

    @Sendable func content(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (partials, hash) = (try store(context).partials, try hash(context))
        guard !partials.isBusy(hash) else {
            throw CANStoreError.conflict("a request is appending to the partial upload of \(hash); try again when it ends")
        }
        guard let size = partials.size(hash) else { throw CANStoreError.notFound("no partial upload of \(hash) in this store") }
        let headers: HTTPFields = [.contentType: "application/octet-stream", .contentLength: String(size)]
        guard size > 0 else { return Response(status: .ok, headers: headers) }
        return Response(status: .ok, headers: headers, body: BlobReader.stream(partials.path(hash), range: 0...(size - 1)))
    }

    @Sendable func append(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (partials, hash) = (try store(context).partials, try hash(context))
        let text = request.uri.queryParameters.get("offset") ?? "0"
        guard let offset = Int64(text), offset >= 0 else {
            throw CANStoreError.badRequest("offset must be a byte count (0 or more), got '\(text.prefix(40))'")
        }
        let size = try await partials.exclusively(hash) {
            try await partials.append(hash, at: offset, body: request.body, limit: maxBodyBytes)
        }
        return try JSONResponse.success(PartialUploadStatus(hash: hash, size: size))
    }

    @Sendable func ingest(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (store, hash) = (try store(context), try hash(context))
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: MultipartIngestReader.maxTotalFieldBytes)
        } catch {
            throw CANStoreError.tooLarge("ingest fields exceed \(MultipartIngestReader.maxTotalFieldBytes) bytes")
        }
        var fields = try Self.formFields(json: Data(body.readableBytesView))
        fields["expected_hash"] = [hash]
        let asset = try await store.partials.exclusively(hash) {
            let (content, digest) = try await store.partials.finished(hash)
            // Bad fields throw here and keep the upload for a corrected request.
            let form = try IngestForm(upload: content, hash: digest, fields: fields, filePartType: nil, filePartFilename: nil)
            return try await store.ingest(form)
        }
        return JSONResponse.success(asset)
    }

    @Sendable func remove(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (partials, hash) = (try store(context).partials, try hash(context))
        try await partials.exclusively(hash) { partials.remove(hash) }
        return try JSONResponse.success(PartialUploadStatus(hash: hash, size: 0))
    }

    /// The `/ingest` form fields from a JSON object: strings as they are, `tags` as a string or an array
    /// of strings, `created_at` as a number, `metadata` as an object; null is the same as absent.
    static func formFields(json: Data) throws -> [String: [String]] {
        guard !json.isEmpty else { return [:] }
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: json) else {
            throw CANStoreError.badRequest("partial upload ingest needs a JSON object of ingest fields")
        }
        var fields: [String: [String]] = [:]
        for (name, value) in object {
            switch value {
            case .null:
                continue
            case .string(let text):
                fields[name] = [text]
            case .number(let number) where number == number.rounded() && abs(number) < 1e15:
                fields[name] = [String(Int64(number))]
            case .array(let items):
                fields[name] = try items.map { item in
                    guard case .string(let text) = item else {
                        throw CANStoreError.badRequest("field '\(name)' must hold only strings")
                    }
                    return text
                }
            case .object:
                fields[name] = [String(decoding: try JSONEncoder().encode(value), as: UTF8.self)]
            default:
                throw CANStoreError.badRequest("field '\(name)' has a value of the wrong type")
            }
        }
        return fields
    }
}
