import CSodium
import Foundation

/// An independent implementation of the gossip wire format (version 1), written from its documentation,
/// so tests can build messages to inject and read the messages the plugin sends.
struct GossipWire: Equatable {
    enum Kind: UInt8 { case join = 1, forwardJoin, neighbor, disconnect, shuffle, shuffleReply }

    struct Record: Equatable {
        var nodeID: [UInt8]
        var ageMilliseconds: UInt32
        var addresses: [String]
    }

    var kind: Kind
    var flags: UInt8 = 0
    var ttl: UInt8 = 0
    var sender: [UInt8]
    var timestamp: UInt64
    var libraryID: String
    var records: [Record]

    func body() -> [UInt8] {
        var out: [UInt8] = [1, kind.rawValue, flags, ttl] + sender
        out += (0..<8).map { UInt8(truncatingIfNeeded: timestamp >> (56 - 8 * $0)) }
        out += [UInt8(libraryID.utf8.count)] + Array(libraryID.utf8)
        out.append(UInt8(records.count))
        for record in records {
            out += record.nodeID
            out += (0..<4).map { UInt8(truncatingIfNeeded: record.ageMilliseconds >> (24 - 8 * $0)) }
            out.append(UInt8(record.addresses.count))
            for address in record.addresses { out += [UInt8(address.utf8.count)] + Array(address.utf8) }
        }
        return out
    }

    /// Body plus HMAC-SHA-512-256 under the key derived from `topicKey`, bound to `recipient`.
    func sealed(topicKey: [UInt8], recipient: [UInt8]) -> [UInt8] {
        let body = body()
        return body + Self.mac(topicKey: topicKey, recipient: recipient, body: body)
    }

    static func mac(topicKey: [UInt8], recipient: [UInt8], body: [UInt8]) -> [UInt8] {
        precondition(sodium_init() >= 0)
        let context = Array("can-sync gossip v1".utf8)
        var key = [UInt8](repeating: 0, count: 32)
        _ = crypto_generichash(&key, 32, context, UInt64(context.count), topicKey, 32)
        let input = recipient + body
        var out = [UInt8](repeating: 0, count: 32)
        _ = crypto_auth_hmacsha512256(&out, input, UInt64(input.count), key)
        return out
    }

    /// Parses wire bytes; nil when they do not follow the format.
    init?(bytes: [UInt8]) {
        var cursor = 0
        func take(_ n: Int) -> [UInt8]? {
            guard n >= 0, cursor + n <= bytes.count - 32 else { return nil }
            defer { cursor += n }
            return Array(bytes[cursor..<(cursor + n)])
        }
        guard bytes.count > 76, let head = take(4), head[0] == 1, let kind = Kind(rawValue: head[1]),
              let sender = take(32), let time = take(8), let libraryLength = take(1),
              let library = take(Int(libraryLength[0])), let count = take(1) else { return nil }
        var records: [Record] = []
        for _ in 0..<count[0] {
            guard let id = take(32), let age = take(4), let addressCount = take(1) else { return nil }
            var addresses: [String] = []
            for _ in 0..<addressCount[0] {
                guard let length = take(1), let text = take(Int(length[0])) else { return nil }
                addresses.append(String(decoding: text, as: UTF8.self))
            }
            records.append(Record(nodeID: id, ageMilliseconds: age.reduce(0) { $0 << 8 | UInt32($1) }, addresses: addresses))
        }
        guard cursor == bytes.count - 32 else { return nil }
        self.init(kind: kind, flags: head[2], ttl: head[3], sender: sender,
                  timestamp: time.reduce(0) { $0 << 8 | UInt64($1) },
                  libraryID: String(decoding: library, as: UTF8.self), records: records)
    }

    init(kind: Kind, flags: UInt8 = 0, ttl: UInt8 = 0, sender: [UInt8], timestamp: UInt64, libraryID: String, records: [Record]) {
        self.kind = kind
        self.flags = flags
        self.ttl = ttl
        self.sender = sender
        self.timestamp = timestamp
        self.libraryID = libraryID
        self.records = records
    }

    static var nowMilliseconds: UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}

extension Array where Element == UInt8 {
    init(hex: String) {
        self = stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }
}
