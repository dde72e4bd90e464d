import Foundation
import HTTPTypes
import Hummingbird
import Pkarr

/// The relay's HTTP API: pkarr's `PUT`/`GET /<z32>` plus loopback-only admin endpoints for tests:
/// `GET /_stats` (request counts and log), `DELETE /_stats` (reset), `GET`/`PUT /_faults` (fault injection).
struct PkarrRelayRouter: Sendable {
    static let payloadContentType = "application/pkarr.org/relays#payload"
    /// pkarr relays' body limit: the whole signed packet including the key (1104 bytes).
    static let bodyLimit = 32 + SignedPacket.maxRelayPayloadBytes

    let store: RelayStore
    let statistics: RelayStatistics
    let injector: FaultInjector

    func build() -> Router<RelayRequestContext> {
        let router = Router(context: RelayRequestContext.self)
        router.get("_stats") { _, context in
            try admin(context) { try json(statistics.snapshot()) }
        }
        router.delete("_stats") { _, context in
            try admin(context) {
                statistics.reset()
                return Response(status: .noContent)
            }
        }
        router.get("_faults") { _, context in
            try admin(context) { try json(injector.faults) }
        }
        router.put("_faults") { request, context in
            guard context.isLoopback else { return forbidden() }
            let body = try await request.body.collect(upTo: 64 * 1024)
            guard let faults = try? JSONDecoder().decode(RelayFaults.self, from: Data(buffer: body)) else {
                return text(.badRequest, "expected a JSON object with inject_429_every, retry_after_secs, inject_500_every, ignore_puts")
            }
            injector.faults = faults
            return try json(faults)
        }
        router.get(":key") { request, context in
            await serve(request, context) { key in get(key) }
        }
        router.put(":key") { request, context in
            await serve(request, context) { key in await put(key, request.body) }
        }
        return router
    }

    /// Validates the key, applies injected faults, and records the outcome.
    private func serve(_ request: Request, _ context: RelayRequestContext,
                       _ handler: (PkarrPublicKey) async -> Response) async -> Response {
        let keyText = context.parameters.get("key") ?? ""
        let response: Response
        switch injector.nextRequest() {
        case .tooManyRequests(let seconds)?:
            var headers = HTTPFields()
            headers[HTTPField.Name("Retry-After")!] = String(seconds)
            headers[HTTPField.Name("X-Ratelimit-After")!] = String(seconds)
            response = Response(status: .tooManyRequests, headers: headers,
                                body: .init(byteBuffer: ByteBuffer(string: "Too Many Requests! Wait for \(seconds)s")))
        case .internalError?:
            response = text(.internalServerError, "injected failure")
        case nil:
            if let key = try? PkarrPublicKey(zBase32: keyText) {
                response = await handler(key)
            } else {
                response = text(.badRequest, "'\(keyText.prefix(80))' is not a pkarr key (52 z-base-32 characters of an Ed25519 public key)")
            }
        }
        statistics.record(method: request.method.rawValue, key: keyText, status: response.status.code,
                          client: request.headers[.userAgent] ?? "")
        return response
    }

    private func get(_ key: PkarrPublicKey) -> Response {
        guard let packet = store.get(key) else { return text(.notFound, "no packet stored for \(key.zBase32)") }
        var headers = HTTPFields()
        headers[.contentType] = Self.payloadContentType
        let minimumTTL = packet.message.answers.map(\.ttl).min() ?? 300
        headers[.cacheControl] = "public, max-age=\(min(max(minimumTTL, 300), 86_400))"
        let seconds = Date(timeIntervalSince1970: Double(packet.timestamp) / 1_000_000)
        headers[.lastModified] = Self.httpDate(seconds)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: packet.relayPayload)))
    }

    private func put(_ key: PkarrPublicKey, _ body: RequestBody) async -> Response {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: Self.bodyLimit)
        } catch {
            return text(.contentTooLarge, "body exceeds \(Self.bodyLimit) bytes")
        }
        let payload = [UInt8](buffer: buffer)
        guard payload.count <= SignedPacket.maxRelayPayloadBytes else {
            return text(.contentTooLarge, "payload is \(payload.count) bytes; at most \(SignedPacket.maxRelayPayloadBytes) (DNS part ≤ \(SignedPacket.maxDNSBytes))")
        }
        let packet: SignedPacket
        do {
            packet = try SignedPacket(publicKey: key, relayPayload: payload)
        } catch {
            return text(.badRequest, "invalid signed packet for \(key.zBase32): \(error)")
        }
        if injector.faults.ignorePuts { return Response(status: .noContent) }
        do {
            switch try store.put(packet) {
            case .stored:
                return Response(status: .noContent)
            case .olderThanStored(let stored):
                return text(.conflict, "timestamp \(packet.timestamp) is not more recent than the stored \(stored)")
            }
        } catch {
            return text(.internalServerError, "\(error)")
        }
    }

    private func admin(_ context: RelayRequestContext, _ body: () throws -> Response) throws -> Response {
        guard context.isLoopback else { return forbidden() }
        return try body()
    }

    private func forbidden() -> Response {
        text(.forbidden, "admin endpoints answer loopback clients only")
    }

    private func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    private func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    private static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
