import Foundation
import SyncProtocol
import TestSupport
import XCTest

/// Ticket-files discovery between real `can-sync` processes: two nodes pointed at one ticket directory
/// find and connect to each other with nothing else configured, and a library joined with a ticket that
/// carries no addresses syncs over that connection.
final class TicketFilesNodeTests: XCTestCase {
    static func pluginsYAML(ticketDirectory: String) -> String {
        """
        plugins:
          - path: \(BuildProducts.plugin("QuicTransport"))
            required: true
            settings: { bind: "127.0.0.1:0" }
          - path: \(BuildProducts.plugin("Filters"))
            required: true
          - path: \(BuildProducts.plugin("TicketDiscovery"))
            required: true
            settings: { ticket_dir: "\(ticketDirectory)", poll_interval_ms: 100 }
        """
    }

    func testNodesSharingATicketDirectoryConnectAndSyncALibrary() async throws {
        var timings = PhaseTimer()
        let tickets = try TemporaryDirectory("tickets")
        let yaml = Self.pluginsYAML(ticketDirectory: tickets.path)
        let a = try NodeProcess(label: "tickets-a", configLines: ["poll_interval_secs: 1"], pluginsYAML: yaml, bundledStore: true)
        let b = try NodeProcess(label: "tickets-b", configLines: ["poll_interval_secs: 1"], pluginsYAML: yaml, bundledStore: true)
        defer {
            a.stop()
            b.stop()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in [a, b] { group.addTask { try await node.start(timeout: 30) } }
            try await group.waitForAll()
        }
        let (idA, idB) = (try await a.nodeID().lowercased(), try await b.nodeID().lowercased())
        timings.mark("2 nodes up")

        // Each publishes its ticket in the shared directory and connects to the other it finds there.
        let connected = try await eventually(timeout: 30, interval: 0.1) {
            let (peersA, peersB) = (try await a.peers(), try await b.peers())
            return Self.isFoundByTicketFile(peersA[idB]) && Self.isFoundByTicketFile(peersB[idA])
        }
        timings.mark("found and connected")
        let files = try FileManager.default.contentsOfDirectory(atPath: tickets.path).filter { !$0.hasPrefix(".") }.sorted()
        XCTAssertEqual(files, ["\(idA).ticket", "\(idB).ticket"].sorted())
        if !connected { XCTFail("the nodes did not connect through ticket files\n\(await describe(a, b))") }

        // The join ticket names the inviter but not where it listens: the ticket files must supply that.
        let library = try await SyncScenario.createLibrary(on: a, name: "tickets", filter: ["application": "ticket-test"])
        let invite = try await TestHTTP.request("POST", "\(a.apiURL)/libraries/\(library)/invite")
        let text = try XCTUnwrap((invite.data as? [String: Any])?["ticket"] as? String, "invite failed: \(invite.text)")
        var ticket = try LibraryTicket(decoding: text)
        XCTAssertFalse(ticket.addresses.isEmpty, "the invite ticket should carry a's addresses before they are removed")
        ticket.addresses = []
        let join = try await TestHTTP.request("POST", "\(b.apiURL)/join", json: ["ticket": ticket.encoded()])
        XCTAssertEqual(join.status, 201, "join with an address-free ticket failed: \(join.text)")

        let asset = try await SyncScenario.ingest(Data("found through a ticket file".utf8), into: a,
                                                  fields: ["application": "ticket-test"])
        let hash = try XCTUnwrap(asset["hash"] as? String)
        let arrived = try await eventually(timeout: 30, interval: 0.1) { try await SyncScenario.meta(hash, on: b) != nil }
        timings.mark("joined and asset synced")
        if !arrived { XCTFail("asset ingested on a did not reach b\n\(await describe(a, b))") }
        let bytes = try await SyncScenario.bytes(hash, on: b)
        XCTAssertEqual(bytes, Data("found through a ticket file".utf8))
        let entry = try await b.peers()[idA]
        XCTAssertEqual(entry?.libraries, [library], "b does not sync the library with a: \(String(describing: entry))")
        XCTAssertEqual(entry?.addresses.isEmpty, false, "b lost a's ticket-file addresses: \(String(describing: entry))")
        print("TicketFilesNodeTests timings: \(timings)")
    }

    private static func isFoundByTicketFile(_ entry: PeerEntry?) -> Bool {
        guard let entry else { return false }
        return entry.isConnected && entry.sources.contains("ticket-files") && !entry.addresses.isEmpty
    }

    private func describe(_ a: NodeProcess, _ b: NodeProcess) async -> String {
        var text = ""
        for (name, node) in [("a", a), ("b", b)] {
            let peers = (try? await node.peers()) ?? [:]
            text += "\(name) peers: \(peers.values.map(\.description))\n\(name) log tail:\n\(node.logTail(2500))\n"
        }
        return text
    }
}
