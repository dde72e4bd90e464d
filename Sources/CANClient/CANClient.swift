import AsyncHTTPClient
import CANModel
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The node's only way to its store: every endpoint of the CAN Service HTTP API over AsyncHTTPClient.
///
/// Responses are decoded tolerantly (unknown fields ignored, optional ones may be absent). A service
/// answer that is an error throws `CANClientError` with its status and message. While the service is
/// unreachable, calls are retried per `retryPolicy`; every call is safe to repeat (reads, field
/// replacements, deletes, and content-addressed ingests), and uploads and downloads restart from the file
/// or resume from the bytes already written, so nothing is lost by a retry.
public final class CANClient: Sendable {
    /// For example `http://127.0.0.1:3210/api/v1/can/0`.
    public let baseURL: String
    public let retryPolicy: CANRetryPolicy
    /// Upper bound for one JSON call (long polls get their wait on top).
    public let requestTimeout: Duration
    let httpClient: HTTPClient
    private let logger: Logger

    /// A client used by every `CANClient` that is not given one. Connection failures reach `CANClient`
    /// at once, so its own backoff decides how long to keep trying; it lives as long as the process.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(90))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        // No tracer: with the default no-op one every request still builds its span's attributes.
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()

    public init(baseURL: String, retryPolicy: CANRetryPolicy = .default, requestTimeout: Duration = .seconds(60),
                httpClient: HTTPClient = CANClient.sharedHTTPClient, logger: Logger = Logger(label: "can-client")) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.retryPolicy = retryPolicy
        self.requestTimeout = requestTimeout
        self.httpClient = httpClient
        self.logger = logger
    }

    // MARK: Endpoints

    /// `GET /health`.
    public func health() async throws -> HealthStatus {
        try await call(.GET, "/health")
    }

    /// `GET /list`: newest first, or with `sinceSeq` the changes after it, oldest first.
    public func list(_ query: ListQuery = ListQuery()) async throws -> AssetPage {
        try await call(.GET, "/list", query: query.items, extraTimeout: Self.wait(query))
    }

    /// `GET /search`: `/list` narrowed by `filter`.
    public func search(_ filter: SearchFilter, _ query: ListQuery = ListQuery()) async throws -> AssetPage {
        try await call(.GET, "/search", query: query.items + filter.items, extraTimeout: Self.wait(query))
    }

    /// `GET /asset/{hash}/meta`.
    public func meta(_ hash: String) async throws -> Asset {
        try await call(.GET, "/asset/\(try Self.checked(hash))/meta")
    }

    /// `PATCH /asset/{hash}/meta`: replaces the fields set in `patch`.
    public func updateMeta(_ hash: String, _ patch: AssetMetadataPatch) async throws -> Asset {
        let body = try JSONEncoder().encode(patch.json)
        return try await call(.PATCH, "/asset/\(try Self.checked(hash))/meta", body: body)
    }

    /// `DELETE /asset/{hash}`: the asset comes back with `deleted: true`.
    public func delete(_ hash: String) async throws -> Asset {
        try await call(.DELETE, "/asset/\(try Self.checked(hash))")
    }

    /// `POST /ingest`: uploads the file at `path` with `options`, streaming it from disk.
    public func ingest(fileAt path: String, options: IngestOptions = IngestOptions()) async throws -> Asset {
        let fileSize: Int64
        do {
            fileSize = Int64(try FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64 ?? 0)
        } catch {
            throw CANClientError(status: nil, message: "cannot read file to ingest: \(error.localizedDescription)", url: path)
        }
        return try await ingest(fileAt: path, size: fileSize, available: nil, options: options)
    }

    /// `POST /ingest` of a file that is still being written and will hold `size` bytes: the upload
    /// streams each part as soon as `available` says the file holds it, so ingesting overlaps
    /// producing (a download, say). Use `expectedHash` so the service refuses content that turns out
    /// wrong; cancelling the task abandons the upload and the service stores nothing.
    public func ingest(growingFileAt path: String, size: Int64, available: @escaping @Sendable (Int64) async throws -> Void,
                       options: IngestOptions) async throws -> Asset {
        try await ingest(fileAt: path, size: size, available: available, options: options)
    }

    /// `POST /ingest` of content that arrives as `body` and holds `size` bytes (a download, say), streamed
    /// without holding it whole. Sent once, never retried: `body` is consumed as it goes. A body that
    /// throws fails the request before the form is complete, so the service stores nothing; use
    /// `expectedHash` so it refuses content that turns out different.
    public func ingest<Body: AsyncSequence & Sendable>(streaming body: Body, size: Int64, filename: String,
                                                       options: IngestOptions) async throws -> Asset
    where Body.Element == ByteBuffer {
        let form = MultipartForm()
        let chunks = FramedChunks(
            prefix: form.prefix(fields: try Self.formFields(options), filename: options.filename ?? filename,
                                mimeType: options.mimeType ?? "application/octet-stream"),
            body: body, suffix: form.suffix)
        let url = baseURL + "/ingest"
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: form.contentType)
        request.body = .stream(chunks, length: .known(Int64(chunks.prefix.readableBytes) + size + Int64(chunks.suffix.readableBytes)))
        return try await Self.decode(try await executeOnce(request, url: url), url: url)
    }

    /// `POST /ingest` of content held in memory (a small asset): the form goes out in one write, and a
    /// request that fails to reach the service is retried like any other.
    public func ingest(bytes content: ByteBuffer, filename: String, options: IngestOptions) async throws -> Asset {
        let form = MultipartForm()
        var body = form.prefix(fields: try Self.formFields(options), filename: options.filename ?? filename,
                               mimeType: options.mimeType ?? "application/octet-stream")
        var content = content
        body.writeBuffer(&content)
        var suffix = form.suffix
        body.writeBuffer(&suffix)
        let request = body
        return try await post(form: form) { .bytes(request) }
    }

    /// Sends a request whose body is consumed as it goes: once, never retried, bounded by the read
    /// timeout between bytes rather than by a total deadline.
    func executeOnce(_ request: HTTPClientRequest, url: String) async throws -> HTTPClientResponse {
        do {
            return try await httpClient.execute(request, timeout: .hours(24))
        } catch let error as CANClientError {
            throw error
        } catch {
            throw CANClientError(status: nil, message: "\(error)", url: url)
        }
    }

    private func ingest(fileAt path: String, size fileSize: Int64, available: (@Sendable (Int64) async throws -> Void)?,
                        options: IngestOptions) async throws -> Asset {
        let form = MultipartForm()
        let chunks = FileChunks(
            prefix: form.prefix(fields: try Self.formFields(options), filename: options.filename ?? (path as NSString).lastPathComponent,
                                mimeType: options.mimeType ?? "application/octet-stream"),
            path: path, fileSize: fileSize, suffix: form.suffix, available: available)
        let length = Int64(chunks.prefix.readableBytes) + fileSize + Int64(chunks.suffix.readableBytes)
        return try await post(form: form) { .stream(chunks, length: .known(length)) }
    }

    /// The form fields of an ingest, before the file part.
    private static func formFields(_ options: IngestOptions) throws -> [(String, String)] {
        var fields: [(String, String)] = []
        if let mimeType = options.mimeType { fields.append(("mime_type", mimeType)) }
        if let application = options.application { fields.append(("application", application)) }
        fields += options.tags.map { ("tags", $0) }
        if let user = options.user { fields.append(("user", user)) }
        if let filename = options.filename { fields.append(("filename", filename)) }
        if let metadata = options.metadata {
            fields.append(("metadata", String(decoding: try JSONEncoder().encode(metadata), as: UTF8.self)))
        }
        if let createdAt = options.createdAt { fields.append(("created_at", String(createdAt))) }
        if let expectedHash = options.expectedHash { fields.append(("expected_hash", expectedHash)) }
        return fields
    }

    /// Sends a multipart ingest; `body` is made anew for each attempt, so a retry sends it from the start.
    private func post(form: MultipartForm, body: @escaping @Sendable () -> HTTPClientRequest.Body) async throws -> Asset {
        let url = baseURL + "/ingest"
        let response = try await withRetries(url: url) {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: form.contentType)
            request.body = body()
            // Large uploads are bounded by the read timeout between bytes, not by a total deadline.
            return try await self.httpClient.execute(request, timeout: .hours(24))
        }
        return try await Self.decode(response, url: url)
    }

    /// `GET /asset/{hash}` with an optional range: the response framing and a body to stream.
    public func download(_ hash: String, range: ByteRangeRequest? = nil) async throws -> CANDownload {
        let url = baseURL + "/asset/\(try Self.checked(hash))"
        let response = try await withRetries(url: url) {
            var request = HTTPClientRequest(url: url)
            if let range { request.headers.add(name: "Range", value: range.header) }
            return try await self.httpClient.execute(request, timeout: .hours(24))
        }
        guard response.status.code < 300 else { throw await Self.error(from: response, url: url) }
        return CANDownload(
            status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
            contentLength: response.headers.first(name: "Content-Length").flatMap { Int64($0) },
            contentRange: response.headers.first(name: "Content-Range"), body: response.body)
    }

    /// Downloads the asset (or `range` of it) into `fileHandle` at its current position; returns the bytes
    /// written. A connection lost mid-way resumes with a Range request after the bytes already written.
    @discardableResult
    public func download(_ hash: String, range: ByteRangeRequest? = nil, to fileHandle: FileHandle) async throws -> Int64 {
        var written: Int64 = 0
        var attempt = 1
        while true {
            let remaining: ByteRangeRequest? = written == 0 ? range : (range ?? .from(0)).advanced(by: written)
            do {
                let download = try await self.download(hash, range: remaining)
                for try await chunk in download.body {
                    try await NIOThreadPool.singleton.runIfActive {
                        try fileHandle.write(contentsOf: Data(chunk.readableBytesView))
                    }
                    written += Int64(chunk.readableBytes)
                }
                return written
            } catch let error where Self.isUnreachable(error) && attempt < retryPolicy.maxAttempts {
                logger.debug("download of \(hash) interrupted after \(written) bytes (\(error)); resuming")
                try await Task.sleep(for: retryPolicy.delay(beforeRetry: attempt))
                attempt += 1
            } catch let error as CANClientError {
                throw error
            } catch {
                throw CANClientError(status: nil, message: "download failed after \(written) bytes: \(error)",
                                     url: baseURL + "/asset/\(hash)")
            }
        }
    }

    // MARK: Transport

    private static func wait(_ query: ListQuery) -> Duration {
        .milliseconds(min(max(query.waitMilliseconds ?? 0, 0), 30_000))
    }

    static func checked(_ hash: String) throws -> String {
        guard let hash = AssetHash.normalized(hash) else {
            throw CANClientError(status: nil, message: "'\(hash.prefix(80))' is not an asset hash (64 hex digits)", url: "")
        }
        return hash
    }

    func call<Payload: Codable & Sendable>(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Data? = nil,
        extraTimeout: Duration = .zero
    ) async throws -> Payload {
        let url = baseURL + path + Self.queryString(query)
        let timeout = requestTimeout + extraTimeout
        let response = try await withRetries(url: url) {
            var request = HTTPClientRequest(url: url)
            request.method = method
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            return try await self.httpClient.execute(request, timeout: .nanoseconds(Self.nanoseconds(timeout)))
        }
        return try await Self.decode(response, url: url)
    }

    /// Runs `send`, retrying with backoff while the service cannot be reached.
    func withRetries(url: String, _ send: () async throws -> HTTPClientResponse) async throws -> HTTPClientResponse {
        var attempt = 1
        while true {
            do {
                return try await send()
            } catch let error where Self.isUnreachable(error) {
                guard attempt < retryPolicy.maxAttempts else {
                    throw CANClientError(status: nil, message: "\(error) (after \(attempt) attempts)", url: url)
                }
                let delay = retryPolicy.delay(beforeRetry: attempt)
                logger.debug("CAN Service at \(url) unreachable (\(error)); retry \(attempt) in \(delay)")
                attempt += 1
                try await Task.sleep(for: delay)
            } catch let error as CANClientError {
                throw error
            } catch {
                throw CANClientError(status: nil, message: "\(error)", url: url)
            }
        }
    }

    /// Transport failures where the request may not have been served; HTTP answers never count.
    static func isUnreachable(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return [.connectTimeout, .remoteConnectionClosed, .readTimeout, .writeTimeout, .deadlineExceeded,
                    .getConnectionFromPoolTimeout].contains(error)
        }
        if error is NIOConnectionError { return true }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout, .ioOnClosedChannel, .eof, .alreadyClosed, .outputClosed, .inputClosed: return true
            default: return false
            }
        }
        if let error = error as? IOError {
            return [ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, ECONNABORTED, ENETUNREACH, EHOSTUNREACH]
                .contains(error.errnoCode)
        }
        return false
    }

    static func decode<Payload: Codable & Sendable>(_ response: HTTPClientResponse, url: String) async throws -> Payload {
        guard response.status.code < 300 else { throw await error(from: response, url: url) }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw CANClientError(status: Int(response.status.code), message: "could not read response: \(error)", url: url)
        }
        let envelope: Envelope<Payload>
        do {
            if let fast = Payload.self as? any JSONValueDecodable.Type {
                envelope = try body.withUnsafeReadableBytes { try Self.envelope(JSONValue(parsing: $0), payload: fast) }
            } else {
                envelope = try JSONDecoder().decode(Envelope<Payload>.self, from: Data(body.readableBytesView))
            }
        } catch {
            throw CANClientError(status: Int(response.status.code),
                                 message: "response is not the expected JSON envelope: \(error)", url: url)
        }
        guard envelope.isSuccess, let data = envelope.data else {
            throw CANClientError(status: Int(response.status.code), message: envelope.error ?? "status \(envelope.status)", url: url)
        }
        return data
    }

    /// The envelope around an asset or a page of them, read without `JSONDecoder`: the announcer reads
    /// every change-feed page and the fetcher every ingest answer.
    private static func envelope<Payload>(_ json: JSONValue, payload: any JSONValueDecodable.Type) throws -> Envelope<Payload> {
        guard case .object(let members) = json, case .string(let status)? = members["status"] else {
            throw JSONShapeError(path: "status", expected: "a string")
        }
        var envelope = Envelope<Payload>(status: status)
        if case .string(let error)? = members["error"] { envelope.error = error }
        if let data = members["data"], data != .null { envelope.data = try payload.init(json: data) as? Payload }
        return envelope
    }

    static func error(from response: HTTPClientResponse, url: String) async -> CANClientError {
        let status = Int(response.status.code)
        guard let body = try? await response.body.collect(upTo: 1 << 20) else {
            return CANClientError(status: status, message: response.status.reasonPhrase, url: url)
        }
        let data = Data(body.readableBytesView)
        if let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: data) {
            return CANClientError(status: status, message: envelope.error, url: url)
        }
        let text = String(decoding: data.prefix(500), as: UTF8.self)
        return CANClientError(status: status, message: text.isEmpty ? response.status.reasonPhrase : text, url: url)
    }

    private static func queryString(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+;?#")
        return "?" + items.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
