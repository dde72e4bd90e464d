import CANModel
import Foundation
import Hummingbird
import NIOCore
import NIOPosix

/// The CAN Service HTTP API on `/api/v1/can/{index}`, backed by a `StoreRegistry`.
struct CANStoreRoutes: Sendable {
    static let basePath = "/api/v1/can"

    let registry: StoreRegistry
    let configuration: CANStoreConfiguration

    func register(on router: Router<BasicRequestContext>) {
        let api = router.group(RouterPath(Self.basePath)).group(":index")
        api.get("health", use: health)
        api.post("ingest", use: ingest)
        api.get("list") { request, context in try await page(request, context, search: false) }
        api.get("search") { request, context in try await page(request, context, search: true) }
        api.get("asset/:hash", use: content)
        api.get("asset/:hash/meta", use: meta)
        api.patch("asset/:hash/meta", use: patchMeta)
        api.delete("asset/:hash", use: delete)
        if configuration.partialUploads {
            PartialUploadRoutes(store: store, hash: hash, maxBodyBytes: configuration.maxBodyBytes).register(on: api)
        }
    }

    @Sendable private func store(_ context: BasicRequestContext) throws -> AssetStore {
        guard let text = context.parameters.get("index"), let index = Int(text) else {
            throw CANStoreError.badRequest("index in the path must be an integer, got '\(context.parameters.get("index") ?? "")'")
        }
        return try registry.store(index)
    }

    @Sendable private func hash(_ context: BasicRequestContext) throws -> String {
        let text = context.parameters.get("hash") ?? ""
        guard let hash = AssetHash.normalized(text) else {
            throw CANStoreError.badRequest("asset hash must be 64 hex digits (SHA-256), got '\(text.prefix(80))'")
        }
        return hash
    }

    @Sendable func health(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let count = try await store(context).count()
        return try JSONResponse.success(HealthStatus(ok: true, version: configuration.version, assets: count,
                                                      partialUploads: configuration.partialUploads ? true : nil))
    }

    @Sendable func ingest(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let store = try store(context)
        if let length = request.headers[.contentLength].flatMap(Int64.init), length > configuration.maxBodyBytes {
            throw CANStoreError.tooLarge(
                "request body of \(length) bytes exceeds this store's limit of \(configuration.maxBodyBytes) bytes")
        }
        let boundary = try MultipartIngestReader.boundary(fromContentType: request.headers[.contentType])
        let reader = MultipartIngestReader(temporaryDirectory: store.blobs.temporaryURL,
                                           maxBodyBytes: configuration.maxBodyBytes)
        let form = try await reader.read(request.body, boundary: boundary)
        return JSONResponse.success(try await store.ingest(form))
    }

    private func page(_ request: Request, _ context: BasicRequestContext, search: Bool) async throws -> Response {
        let query = try QueryParameters(request).assetQuery(search: search)
        return JSONResponse.success(try await store(context).page(query))
    }

    @Sendable func content(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let store = try store(context)
        let hash = try hash(context)
        guard let asset = try await store.asset(hash), !asset.isDeleted else {
            throw CANStoreError.notFound("no asset \(hash) in this store")
        }
        let path = store.blobs.path(for: hash)
        var headers: HTTPFields = [.contentType: asset.mimeType, .acceptRanges: "bytes", .eTag: "\"\(hash)\""]
        switch ByteRange(header: request.headers[.range], size: asset.size) {
        case .whole where asset.size <= BlobReader.wholeLimit:
            headers[.contentLength] = String(asset.size)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: try await BlobReader.whole(path, size: asset.size)))
        case .whole:
            headers[.contentLength] = String(asset.size)
            return Response(status: .ok, headers: headers, body: BlobReader.stream(path, range: 0...(asset.size - 1)))
        case .partial(let range):
            headers[.contentLength] = String(range.count)
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(asset.size)"
            return Response(status: .partialContent, headers: headers, body: BlobReader.stream(path, range: range))
        case .unsatisfiable:
            return JSONResponse.error(
                .rangeNotSatisfiable, "range '\(request.headers[.range] ?? "")' is outside asset \(hash) of \(asset.size) bytes",
                headers: [.contentRange: "bytes */\(asset.size)"])
        }
    }

    @Sendable func meta(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let hash = try hash(context)
        guard let asset = try await store(context).asset(hash) else {
            throw CANStoreError.notFound("no asset \(hash) in this store")
        }
        return JSONResponse.success(asset)
    }

    @Sendable func patchMeta(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let store = try store(context)
        let hash = try hash(context)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: MultipartIngestReader.maxTotalFieldBytes)
        } catch {
            throw CANStoreError.tooLarge("PATCH body exceeds \(MultipartIngestReader.maxTotalFieldBytes) bytes")
        }
        let patch = try AssetPatch(json: Data(body.readableBytesView))
        return JSONResponse.success(try await store.update(hash, with: patch))
    }

    @Sendable func delete(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let hash = try hash(context)
        return JSONResponse.success(try await store(context).delete(hash))
    }
}
