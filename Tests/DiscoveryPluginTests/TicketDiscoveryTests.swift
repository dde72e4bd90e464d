import CPluginAPI
import Foundation
import PluginHost
import TestSupport
import XCTest

/// The ticket-files plugin with real instances sharing a real directory.
final class TicketDiscoveryTests: XCTestCase {
    private func settings(_ directory: TemporaryDirectory, extra: String = "") -> String {
        #"{"ticket_dir": "\#(directory.path)", "poll_interval_ms": 50\#(extra)}"#
    }

    private func ticket(_ id: String, _ addresses: [String]) -> Data {
        let list = addresses.map { "\"\($0)\"" }.joined(separator: ",")
        return Data(#"{"version":1,"node_id":"\#(id)","addresses":[\#(list)]}"#.utf8)
    }

    /// Writes a file the way a well-behaved node does: a temporary file, then rename.
    private func publish(_ data: Data, at url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try data.write(to: temporary)
        _ = rename(temporary.path, url.path)
    }

    func testTwoNodesSharingADirectoryDiscoverEachOther() async throws {
        let directory = try TemporaryDirectory("tickets")
        let network = try DiscoveryTestNetwork(pluginName: "TicketDiscovery")
        defer { network.stopAll() }
        // Nothing but the shared directory: the default one-second poll.
        let first = try network.addNode(settings: #"{"ticket_dir": "\#(directory.path)"}"#)
        let second = try network.addNode(settings: #"{"ticket_dir": "\#(directory.path)"}"#)
        try first.start()
        try second.start()

        let found = await eventually(timeout: 10) {
            first.known[second.nodeID] == second.addresses && second.known[first.nodeID] == first.addresses
        }
        XCTAssertTrue(found, "first: \(first.discoveries) \(first.logs.map(\.message)), second: \(second.discoveries)")
        XCTAssertTrue((first.discoveries + second.discoveries).allSatisfy { $0.source == "ticket-files" })
        XCTAssertFalse(first.discoveries.contains { $0.peer == first.nodeID }, "a node discovered itself")

        let own = try Data(contentsOf: directory.file("\(first.nodeID.hex).ticket"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: own) as? [String: Any])
        XCTAssertEqual(object["version"] as? Int, 1)
        XCTAssertEqual(object["node_id"] as? String, first.nodeID.hex)
        XCTAssertEqual(object["addresses"] as? [String], first.addresses)
    }

    func testOwnTicketIsRewrittenWhenAddressesChange() async throws {
        let directory = try TemporaryDirectory("tickets")
        let network = try DiscoveryTestNetwork(pluginName: "TicketDiscovery")
        defer { network.stopAll() }
        let node = try network.addNode(settings: settings(directory))
        let watcher = try network.addNode(settings: settings(directory))
        try node.start()
        try watcher.start()
        let first = await eventually(timeout: 10) { watcher.known[node.nodeID] == node.addresses }
        XCTAssertTrue(first)

        node.addresses = ["127.0.0.1:47001"]
        let moved = await eventually(timeout: 10) { watcher.known[node.nodeID] == ["127.0.0.1:47001"] }
        XCTAssertTrue(moved, "watcher saw \(watcher.discoveries.map(\.addresses))")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [], "temporary files were left behind")
    }

    func testMalformedFileIsReportedOnceWithItsPathAndSkipped() async throws {
        let directory = try TemporaryDirectory("tickets")
        let network = try DiscoveryTestNetwork(pluginName: "TicketDiscovery")
        defer { network.stopAll() }
        let node = try network.addNode(settings: settings(directory))
        let broken = directory.file("broken.ticket")
        let wrongVersion = directory.file("future.ticket")
        try Data("not a ticket".utf8).write(to: broken)
        try Data(#"{"version":2,"node_id":"\#(String(repeating: "cd", count: 32))","addresses":["127.0.0.1:1"]}"#.utf8).write(to: wrongVersion)
        let goodID = String(repeating: "ab", count: 32)
        try publish(ticket(goodID, ["127.0.0.1:4100"]), at: directory.file("good.ticket"))
        try node.start()

        let good = await eventually(timeout: 10) { node.known[NodeID(hex: goodID)!] == ["127.0.0.1:4100"] }
        XCTAssertTrue(good, "the valid ticket next to broken ones was not reported")
        func warnings(about url: URL) -> [String] {
            node.logs.filter { $0.level == CSYNC_LOG_WARNING && $0.message.contains(url.path) }.map(\.message)
        }
        let warned = await eventually(timeout: 5) { !warnings(about: broken).isEmpty && !warnings(about: wrongVersion).isEmpty }
        XCTAssertTrue(warned, "logs: \(node.logs.map(\.message))")
        XCTAssertTrue(warnings(about: broken)[0].contains("not a JSON object"), warnings(about: broken)[0])
        XCTAssertTrue(warnings(about: wrongVersion)[0].contains("unsupported ticket version 2"), warnings(about: wrongVersion)[0])
        XCTAssertEqual(node.discoveries.count, 1, "\(node.discoveries)")

        // Later polls must not repeat the warning for an unchanged file; a newly published ticket marks
        // that at least one more poll has run.
        let laterID = String(repeating: "ef", count: 32)
        try publish(ticket(laterID, ["127.0.0.1:4200"]), at: directory.file("later.ticket"))
        let later = await eventually(timeout: 10) { node.known[NodeID(hex: laterID)!] != nil }
        XCTAssertTrue(later)
        XCTAssertEqual(warnings(about: broken).count, 1)

        try Data("still not a ticket!".utf8).write(to: broken)
        let rewarned = await eventually(timeout: 10) { warnings(about: broken).count == 2 }
        XCTAssertTrue(rewarned, "a changed malformed file was not reported again")
    }

    func testChangedFileUpdatesAddressesAndRemovalIsHarmless() async throws {
        let directory = try TemporaryDirectory("tickets")
        let network = try DiscoveryTestNetwork(pluginName: "TicketDiscovery")
        defer { network.stopAll() }
        let node = try network.addNode(settings: settings(directory))
        try node.start()
        let peerHex = String(repeating: "12", count: 32)
        let peer = NodeID(hex: peerHex)!
        let file = directory.file("\(peerHex).ticket")

        try publish(ticket(peerHex, ["127.0.0.1:4300"]), at: file)
        let first = await eventually(timeout: 10) { node.known[peer] == ["127.0.0.1:4300"] }
        XCTAssertTrue(first)

        try publish(ticket(peerHex, ["127.0.0.1:4301", "[::1]:4301"]), at: file)
        let changed = await eventually(timeout: 10) { node.known[peer] == ["127.0.0.1:4301", "[::1]:4301"] }
        XCTAssertTrue(changed, "\(node.discoveries)")

        try FileManager.default.removeItem(at: file)
        let otherHex = String(repeating: "34", count: 32)
        try publish(ticket(otherHex, ["127.0.0.1:4400"]), at: directory.file("other.ticket"))
        let stillRunning = await eventually(timeout: 10) { node.known[NodeID(hex: otherHex)!] != nil }
        XCTAssertTrue(stillRunning, "the plugin stopped working after a ticket was removed")

        let before = node.discoveries.filter { $0.peer == peer }.count
        try publish(ticket(peerHex, ["127.0.0.1:4301", "[::1]:4301"]), at: file)
        let back = await eventually(timeout: 10) { node.discoveries.filter { $0.peer == peer }.count == before + 1 }
        XCTAssertTrue(back, "a ticket that came back was not reported again")
    }

    func testSettingsAreValidated() throws {
        let network = try DiscoveryTestNetwork(pluginName: "TicketDiscovery")
        let cases: [(String, String)] = [
            (#"{"ticket_directory": "/tmp"}"#, "unknown setting 'ticket_directory'"),
            (#"{"poll_interval_ms": 0}"#, "'poll_interval_ms' must be 10-3600000"),
            (#"{"poll_interval_ms": "fast"}"#, "'poll_interval_ms' must be an integer"),
        ]
        for (settings, expected) in cases {
            XCTAssertThrowsError(try network.addNode(settings: settings), settings) { error in
                XCTAssertTrue(String(describing: error).contains(expected), "\(settings): \(error)")
            }
        }
    }

    func testDefaultsPlaceTicketsUnderTheDataDirectory() async throws {
        let network = try DiscoveryTestNetwork(pluginName: "TicketDiscovery")
        defer { network.stopAll() }
        let node = try network.addNode(settings: #"{"poll_interval_ms": 50}"#)
        try node.start()
        let own = node.dataDirectory.file("tickets/\(node.nodeID.hex).ticket")
        let written = await eventually(timeout: 10) { FileManager.default.fileExists(atPath: own.path) }
        XCTAssertTrue(written, "no ticket at \(own.path)")
    }
}
