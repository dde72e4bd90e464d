import PluginAPI
import Pkarr

/// What a node writes into the slot it holds: TXT records under `_can-sync` (relative to the slot key),
/// one `id=<64 hex node id>` and one `addr=<IPv4:port | [IPv6]:port>` per address. Readers skip
/// malformed addresses and other `key=value` strings, so the record can grow.
struct SlotAnnouncement: Equatable, Sendable {
    static let ownerName = "_can-sync"

    var nodeID: [UInt8]
    var addresses: [String]

    /// Records for a signed packet; addresses that would push the DNS message past 1000 bytes are left out.
    func records(ttl: UInt32, origin: String) -> [DNSRecord] {
        var records = [DNSRecord(name: Self.ownerName, ttl: ttl, data: .txt("id=\(nodeID.hexEncoded)"))]
        for address in addresses where address.utf8.count <= 250 {
            let candidate = records + [DNSRecord(name: Self.ownerName, ttl: ttl, data: .txt("addr=\(address)"))]
            let absolute = candidate.map { record in
                var copy = record
                copy.name = SignedPacket.absoluteName(record.name, origin: origin)
                return copy
            }
            guard let size = try? DNSMessage(answers: absolute).encoded().count, size <= SignedPacket.maxDNSBytes else { break }
            records = candidate
        }
        return records
    }

    /// The announcement in a verified packet; nil when it has no well-formed `id=`.
    init?(_ packet: SignedPacket) {
        var nodeID: [UInt8]?
        var addresses: [String] = []
        for record in packet.records(named: Self.ownerName) {
            guard let text = record.data.text, let equals = text.firstIndex(of: "=") else { continue }
            let key = text[..<equals]
            let value = String(text[text.index(after: equals)...])
            switch key {
            case "id":
                guard value.utf8.count == 64, let bytes = [UInt8](hexEncoded: value) else { return nil }
                nodeID = bytes
            case "addr" where AddressSyntax.isValid(value):
                addresses.append(value)
            default:
                continue
            }
        }
        guard let nodeID else { return nil }
        self.init(nodeID: nodeID, addresses: addresses)
    }

    init(nodeID: [UInt8], addresses: [String]) {
        self.nodeID = nodeID
        self.addresses = addresses
    }
}
