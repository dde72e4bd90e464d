import CSodium

/// Seals and checks gossip messages for one library, so only holders of its topic key take part.
///
/// mac_key = BLAKE2b-256(key: topic_key, message: "can-sync gossip v1") keeps the MAC key apart from
/// any other use of the topic key. MAC = HMAC-SHA-512-256(mac_key, recipient node id ‖ message body):
/// binding the recipient means a message cannot be replayed to another member.
struct GossipAuthenticator {
    static let context = Array("can-sync gossip v1".utf8)
    private let key: [UInt8]

    init(topicKey: [UInt8]) {
        _ = sodium_init()
        var derived = [UInt8](repeating: 0, count: 32)
        _ = crypto_generichash(&derived, 32, Self.context, UInt64(Self.context.count), topicKey, topicKey.count)
        key = derived
    }

    func mac(recipient: [UInt8], body: some Collection<UInt8>) -> [UInt8] {
        let input = recipient + Array(body)
        var out = [UInt8](repeating: 0, count: Int(crypto_auth_hmacsha512256_BYTES))
        _ = crypto_auth_hmacsha512256(&out, input, UInt64(input.count), key)
        return out
    }

    func isValid(mac: [UInt8], recipient: [UInt8], body: some Collection<UInt8>) -> Bool {
        let input = recipient + Array(body)
        return mac.count == 32 && crypto_auth_hmacsha512256_verify(mac, input, UInt64(input.count), key) == 0
    }

    /// The complete wire bytes of `message` for `recipient`.
    func seal(_ message: GossipMessage, for recipient: [UInt8]) -> [UInt8] {
        let body = message.encodedBody()
        return body + mac(recipient: recipient, body: body)
    }
}
