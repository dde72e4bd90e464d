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
        let object: [String: Any] = ["version": Self.version, "node_id": Hex.encode(nodeID), "addresses": addresses]
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
        guard idText.utf8.count == 64, let id = Hex.decode(idText) else {
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
