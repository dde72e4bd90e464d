import Foundation
import PluginAPI

/// One node's endpoint ticket: who it is and where it listens.
///
/// On disk a ticket is one JSON object (UTF-8, at most 64 KiB), version 1:
///
///     {"version":1,"node_id":"<64 lowercase hex digits>","addresses":["127.0.0.1:7000","[::1]:7000"]}
///
/// `node_id` is the node's Ed25519 public key; `addresses` lists at least one "IPv4:port" or
/// "[IPv6]:port". Readers reject other versions, so a future format can change anything but the
/// `version` key. Unknown keys are ignored, so version 1 may gain optional fields.
struct EndpointTicket: Equatable {
    static let version = 1
    static let maximumSize = 64 * 1024

    var nodeID: [UInt8]
    var addresses: [String]

    /// Why a file is not a ticket; the message reads after "<path>: ".
    struct Malformed: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    func encoded() -> Data {
        let object: [String: Any] = ["version": Self.version, "node_id": hex(nodeID), "addresses": addresses]
        let json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return json + Data("\n".utf8)
    }

    init(nodeID: [UInt8], addresses: [String]) {
        self.nodeID = nodeID
        self.addresses = addresses
    }

    init(parsing data: Data) throws {
        guard data.count <= Self.maximumSize else {
            throw Malformed(reason: "file is \(data.count) bytes; a ticket is at most \(Self.maximumSize)")
        }
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: data) else {
            throw Malformed(reason: "not a JSON object (expected {\"version\":1,\"node_id\":...,\"addresses\":[...]})")
        }
        guard case .int(let version)? = object["version"] else { throw Malformed(reason: "missing integer 'version'") }
        guard version == Self.version else {
            throw Malformed(reason: "unsupported ticket version \(version) (this plugin reads version \(Self.version))")
        }
        guard case .string(let idText)? = object["node_id"] else { throw Malformed(reason: "missing string 'node_id'") }
        guard idText.utf8.count == 64, let id = bytes(fromHex: idText) else {
            throw Malformed(reason: "'node_id' must be 64 hex digits, got '\(idText.prefix(80))'")
        }
        guard case .array(let list)? = object["addresses"] else { throw Malformed(reason: "missing list 'addresses'") }
        let addresses = try list.map { item -> String in
            guard case .string(let text) = item else { throw Malformed(reason: "'addresses' must hold only strings") }
            if let problem = AddressSyntax.problem(with: text) { throw Malformed(reason: "bad address: \(problem)") }
            return text
        }
        guard !addresses.isEmpty else { throw Malformed(reason: "'addresses' is empty") }
        self.init(nodeID: id, addresses: addresses)
    }
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] }, as: UTF8.self)
}

func bytes(fromHex text: String) -> [UInt8]? {
    let utf8 = Array(text.utf8)
    guard utf8.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
    var out = [UInt8]()
    out.reserveCapacity(utf8.count / 2)
    for index in stride(from: 0, to: utf8.count, by: 2) {
        guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
        out.append(high << 4 | low)
    }
    return out
}
