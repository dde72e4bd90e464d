import Foundation
import SyncProtocol
import TestSupport
import XCTest

/// Real nodes that share only a sync passphrase find each other through a real `pkarr-relay` process,
/// after joining a library with tickets whose inviter addresses were removed or made stale.
final class PkarrRendezvousTests: XCTestCase {
    private var relay: PkarrRelayProcess?
    private var nodes: [NodeProcess] = []

    override func tearDown() {
        nodes.forEach { $0.stop() }
        nodes = []
        relay?.stop()
        relay = nil
    }

    func testThreeNodesFindEachOtherThroughTheRelayAndSync() async throws {
        let relay = try await startRelay()
        let began = Date()
        let (a, b, c) = try await startThreeNodes(relay: relay, pkarrEnabled: true)
        let started = Date()
        let ids = try await [a, b, c].asyncMap(nodeID)
        for node in [a, b, c] {
            let plugins = try await pluginNames(node)
            XCTAssertTrue(plugins.contains("pkarr"), "pkarr is not loaded: \(plugins)")
        }

        let library = try await SyncScenario.createLibrary(on: a, name: "notes")
        let ticket = try await invite(library, on: a)
        XCTAssertFalse(ticket.addresses.isEmpty, "a's own ticket names its addresses")
        try await join(withAddresses: [], ticket, on: b)
        try await join(withAddresses: ["127.0.0.1:9"], ticket, on: c)
        let joined = Date()

        let fromA = try await SyncScenario.ingest(Data("written on a".utf8), into: a, fields: ["application": "notes"])
        let hashA = try XCTUnwrap(fromA["hash"] as? String)
        try await expect(within: 60, "a's asset did not reach b and c") { try await has(hashA, on: [b, c]) }
        let firstSync = Date()
        let bytes = try await SyncScenario.bytes(hashA, on: c)
        XCTAssertEqual(bytes, Data("written on a".utf8))

        let fromC = try await SyncScenario.ingest(Data("written on c".utf8), into: c, fields: ["application": "notes"])
        let hashC = try XCTUnwrap(fromC["hash"] as? String)
        try await expect(within: 60, "c's asset did not reach a and b") { try await has(hashC, on: [a, b]) }

        // Every pair found each other through pkarr, b and c included: their tickets only led to a,
        // and no address at all reached b.
        try await expect(within: 30, "not every pair is connected with pkarr among its sources") {
            try await everyPairConnectedViaPkarr(ids)
        }
        let peersOfB = try await peers(b)
        XCTAssertEqual(Set(peersOfB.compactMap { $0["node_id"] as? String }), [ids[0], ids[2]])
        XCTAssertEqual(peersOfB.first { $0["node_id"] as? String == ids[2] }?["libraries"] as? [String], [library],
                       "b syncs the library with c directly")

        let statistics = try await relay.statistics()
        for id in ids {
            let accepted = statistics.requests.filter { $0.client.contains(id.prefix(10)) && $0.method == "PUT" && $0.status == 204 }
            XCTAssertFalse(accepted.isEmpty, "the relay accepted no slot packet from node \(id.prefix(10))")
        }
        print("pkarr rendezvous: 3 nodes up in \(seconds(started, since: began)) s; "
              + "a's asset on b and c \(seconds(firstSync, since: joined)) s after the joins; "
              + "c's asset on a and b \(seconds(Date(), since: firstSync)) s later; relay saw \(statistics.total) requests")
    }

    func testDisabledPluginNeverContactsTheRelay() async throws {
        let relay = try await startRelay()
        let (a, b, c) = try await startThreeNodes(relay: relay, pkarrEnabled: false)
        for node in [a, b, c] {
            let plugins = try await pluginNames(node)
            XCTAssertFalse(plugins.contains("pkarr"), "a disabled plugin is loaded: \(plugins)")
        }
        let library = try await SyncScenario.createLibrary(on: a, name: "notes")
        let ticket = try await invite(library, on: a)
        try await join(withAddresses: [], ticket, on: b)
        try await join(withAddresses: ["127.0.0.1:9"], ticket, on: c)
        let asset = try await SyncScenario.ingest(Data("only on a".utf8), into: a, fields: ["application": "notes"])
        let hash = try XCTUnwrap(asset["hash"] as? String)

        // With the plugin enabled the first relay request comes within a second of start and the asset
        // arrives within seconds (the test above); watch well beyond both.
        let window = 10.0
        let watchUntil = Date().addingTimeInterval(window)
        var requests = 0
        var leaked = false
        while Date() < watchUntil, requests == 0, !leaked {
            requests = try await relay.statistics().total
            leaked = try await SyncScenario.meta(hash, on: b) != nil
            try await Task.sleep(for: .milliseconds(200))
        }
        XCTAssertEqual(requests, 0, "the relay received requests from nodes whose pkarr plugin is disabled")
        XCTAssertFalse(leaked, "b got a's asset with no address and no discovery")
        let final = try await relay.statistics()
        XCTAssertEqual(final.total, 0, "requests: \(final.requests.map { "\($0.method) \($0.client)" })")
        let peersOfB = try await peers(b)
        XCTAssertTrue(peersOfB.allSatisfy { $0["state"] as? String != "connected" }, "b connected to someone: \(peersOfB)")
    }

    func testNodesBackOffOnRateLimitsAndStillConverge() async throws {
        let retryAfter = 2.0
        let relay = try await startRelay(["--inject-429-every", "5", "--retry-after", "\(Int(retryAfter))"])
        let began = Date()
        let (a, b, c) = try await startThreeNodes(relay: relay, pkarrEnabled: true)
        let ids = try await [a, b, c].asyncMap(nodeID)
        let library = try await SyncScenario.createLibrary(on: a, name: "notes")
        let ticket = try await invite(library, on: a)
        try await join(withAddresses: [], ticket, on: b)
        try await join(withAddresses: [], ticket, on: c)

        let asset = try await SyncScenario.ingest(Data("through a busy relay".utf8), into: a, fields: ["application": "notes"])
        let hash = try XCTUnwrap(asset["hash"] as? String)
        try await expect(within: 120, "a's asset did not reach b and c through the rate-limited relay") {
            try await has(hash, on: [b, c])
        }
        try await expect(within: 90, "not every pair found each other through the rate-limited relay") {
            try await everyPairConnectedViaPkarr(ids)
        }
        let converged = Date()

        let statistics = try await relay.statistics()
        for id in ids {
            let mine = statistics.requests.filter { $0.client.contains(id.prefix(10)) }
            let limited = mine.indices.filter { mine[$0].status == 429 }
            XCTAssertFalse(limited.isEmpty, "node \(id.prefix(10)) never met a 429, so the test proves nothing for it")
            for index in limited where index + 1 < mine.count {
                let gap = mine[index + 1].time - mine[index].time
                XCTAssertGreaterThanOrEqual(gap, retryAfter - 0.01,
                                            "node \(id.prefix(10)) asked again \(gap) s after a 429 with Retry-After \(Int(retryAfter))")
            }
        }
        let limited = statistics.requests.filter { $0.status == 429 }.count
        print("pkarr rendezvous under 429s: converged \(seconds(converged, since: began)) s after start; "
              + "relay saw \(statistics.total) requests, \(limited) answered 429")
    }

    // MARK: Setup

    private func startRelay(_ arguments: [String] = []) async throws -> PkarrRelayProcess {
        let relay = try await PkarrRelayProcess(arguments: arguments)
        self.relay = relay
        return relay
    }

    /// Three nodes with bundled stores, one fresh passphrase, and the pkarr plugin pointed at `relay`.
    private func startThreeNodes(relay: PkarrRelayProcess, pkarrEnabled: Bool) async throws -> (NodeProcess, NodeProcess, NodeProcess) {
        let passphrase = "rendezvous \(UUID().uuidString)"
        let plugins = """
            plugins:
              - path: \(BuildProducts.plugin("QuicTransport"))
                required: true
                settings: { bind: "127.0.0.1:0" }
              - path: \(BuildProducts.plugin("Filters"))
                required: true
              - path: \(BuildProducts.plugin("PkarrDiscovery"))
                enabled: \(pkarrEnabled)
                required: true
                settings:
                  relays: ["\(relay.url)"]
                  scan_interval_secs: 1
                  republish_interval_secs: 3
                  ttl_secs: 30
            """
        for label in ["a", "b", "c"] {
            let node = try NodeProcess(label: label, configLines: ["poll_interval_secs: 1", "sync_passphrase: \"\(passphrase)\""],
                                       pluginsYAML: plugins, bundledStore: true)
            nodes.append(node)
            try await node.start()
        }
        return (nodes[0], nodes[1], nodes[2])
    }

    // MARK: Node API

    private func invite(_ library: String, on node: NodeProcess) async throws -> LibraryTicket {
        let reply = try await TestHTTP.request("POST", "\(node.apiURL)/libraries/\(library)/invite")
        let text = try XCTUnwrap((reply.data as? [String: Any])?["ticket"] as? String, "invite failed: \(reply.status) \(reply.text)")
        return try LibraryTicket(decoding: text)
    }

    /// Joins with a copy of `ticket` whose inviter addresses are replaced by `addresses`.
    private func join(withAddresses addresses: [String], _ ticket: LibraryTicket, on node: NodeProcess) async throws {
        var forged = ticket
        forged.addresses = addresses
        let reply = try await TestHTTP.request("POST", "\(node.apiURL)/join", json: ["ticket": forged.encoded()])
        XCTAssertEqual(reply.status, 201, "join on \(node.apiURL) failed: \(reply.text)")
    }

    private func nodeID(_ node: NodeProcess) async throws -> String {
        let reply = try await TestHTTP.get("\(node.apiURL)/status")
        return try XCTUnwrap((reply.data as? [String: Any])?["node_id"] as? String, "GET /status: \(reply.text)")
    }

    private func pluginNames(_ node: NodeProcess) async throws -> [String] {
        let reply = try await TestHTTP.get("\(node.apiURL)/status")
        let plugins = (reply.data as? [String: Any])?["plugins"] as? [[String: Any]] ?? []
        return plugins.compactMap { $0["name"] as? String }
    }

    private func peers(_ node: NodeProcess) async throws -> [[String: Any]] {
        try await TestHTTP.get("\(node.apiURL)/peers").data as? [[String: Any]] ?? []
    }

    /// Whether every node lists each other node as connected and found (also) by pkarr.
    private func everyPairConnectedViaPkarr(_ ids: [String]) async throws -> Bool {
        for (node, id) in zip(nodes, ids) {
            let known = try await peers(node)
            for other in ids where other != id {
                guard let peer = known.first(where: { $0["node_id"] as? String == other }),
                      peer["state"] as? String == "connected",
                      (peer["sources"] as? [String] ?? []).contains("pkarr") else { return false }
            }
        }
        return true
    }

    /// Polls `condition` for up to `timeout` seconds; on failure reports `message` with the nodes' state.
    private func expect(within timeout: TimeInterval, _ message: String, file: StaticString = #filePath, line: UInt = #line,
                        _ condition: () async throws -> Bool) async throws {
        guard try await !eventually(timeout: timeout, interval: 0.2, condition) else { return }
        let state = try await diagnostics()
        XCTFail("\(message) within \(Int(timeout)) s\n\(state)", file: file, line: line)
    }

    private func has(_ hash: String, on nodes: [NodeProcess]) async throws -> Bool {
        for node in nodes where try await SyncScenario.meta(hash, on: node) == nil { return false }
        return true
    }

    /// The nodes' peer tables and log tails and the relay's request count, for failure messages.
    private func diagnostics() async throws -> String {
        var text = ""
        for node in nodes {
            let known = try await peers(node)
            text += "== \(node.apiURL) peers: \(known)\n\(node.process?.output.suffix(2500) ?? "")\n"
        }
        if let relay { text += "== relay: \(try await relay.statistics().total) requests\n" }
        return text
    }

    private func seconds(_ end: Date, since start: Date) -> String {
        String(format: "%.1f", end.timeIntervalSince(start))
    }
}

private extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
