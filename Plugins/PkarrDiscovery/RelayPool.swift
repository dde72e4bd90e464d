import Foundation
import Pkarr
import PluginAPI

/// The configured relays with their backoff state. Reads go to the first relay that is not backing
/// off and answers; publishes go to every relay that is not backing off.
final class RelayPool {
    /// What a slot read found.
    enum ReadResult {
        case packet(SignedPacket)
        /// Nothing stored, or something stored that is not a valid packet for the key.
        case empty
        /// No relay answered; try again later.
        case unavailable
    }

    /// What a publish achieved.
    enum PublishResult {
        /// At least one relay took the packet.
        case accepted
        /// A relay holds a more recent packet for the key (409/412/428).
        case conflict
        case failed
    }

    private var relays: [(url: String, backoff: RelayBackoff)]
    private let client: RelayHTTPClient
    private let host: HostServices

    init(relays: [String], client: RelayHTTPClient, host: HostServices) {
        self.relays = relays.map { ($0, RelayBackoff()) }
        self.client = client
        self.host = host
    }

    /// The earliest time some relay may be asked again (now, when one is ready).
    func readyTime(now: Date) -> Date {
        relays.map(\.backoff.notBefore).min().map { max($0, now) } ?? now
    }

    func read(_ key: PkarrPublicKey) -> ReadResult {
        for index in relays.indices where relays[index].backoff.isReady(at: Date()) {
            let url = "\(relays[index].url)/\(key.zBase32)"
            guard let reply = send(index, url, nil) else { continue }
            switch reply.status {
            case 200 where !reply.body.isEmpty:
                do {
                    return .packet(try SignedPacket(publicKey: key, relayPayload: reply.body))
                } catch {
                    host.log(CSYNC_LOG_WARNING, "pkarr: GET \(url) returned an invalid packet (\(error)); treating the slot as free")
                    return .empty
                }
            case 404:
                return .empty
            default:
                continue
            }
        }
        return .unavailable
    }

    func publish(_ packet: SignedPacket) -> PublishResult {
        var result = PublishResult.failed
        for index in relays.indices where relays[index].backoff.isReady(at: Date()) {
            let url = "\(relays[index].url)/\(packet.publicKey.zBase32)"
            guard let reply = send(index, url, packet.relayPayload) else { continue }
            switch reply.status {
            case 200..<300:
                result = .accepted
            case 409, 412, 428:
                if case .failed = result { result = .conflict }
            default:
                host.log(CSYNC_LOG_ERROR, "pkarr: PUT \(url) refused the packet: HTTP \(reply.status) \(String(decoding: reply.body.prefix(200), as: UTF8.self))")
            }
        }
        return result
    }

    /// One request; applies backoff for 429, 5xx and transport errors (then returns nil).
    private func send(_ index: Int, _ url: String, _ body: [UInt8]?) -> RelayHTTPClient.Reply? {
        let method = body == nil ? "GET" : "PUT"
        do {
            let reply: RelayHTTPClient.Reply
            if let body {
                reply = try client.put(url, body: body)
            } else {
                reply = try client.get(url)
            }
            switch reply.status {
            case 429:
                let pause = relays[index].backoff.rateLimited(retryAfter: reply.retryAfterSeconds, at: Date())
                host.log(CSYNC_LOG_INFO, "pkarr: \(method) \(url) was rate limited (Retry-After \(reply.retryAfterSeconds.map { "\($0)" } ?? "absent")); pausing this relay \(String(format: "%.1f", pause)) s")
                return nil
            case 500...599, 0:
                let pause = relays[index].backoff.failed(at: Date())
                host.log(CSYNC_LOG_WARNING, "pkarr: \(method) \(url) failed with HTTP \(reply.status); pausing this relay \(String(format: "%.1f", pause)) s")
                return nil
            default:
                relays[index].backoff.succeeded()
                return reply
            }
        } catch {
            let pause = relays[index].backoff.failed(at: Date())
            host.log(CSYNC_LOG_WARNING, "pkarr: \(method) \(error); pausing this relay \(String(format: "%.1f", pause)) s")
            return nil
        }
    }
}
