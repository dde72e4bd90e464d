import Foundation
import PluginHost
import SyncProtocol
import TestSupport
import XCTest

/// A library's sync session that dies while its connection stays up is opened again by the node
/// that opened it, so the library keeps syncing with that peer without waiting for a reconnect.
final class SessionRecoveryTests: XCTestCase {
    func testLostSyncStreamIsReopenedOnTheSameConnection() async throws {
        let a = try NodeProcess(label: "a", configLines: ["poll_interval_secs: 1"], bundledStore: true)
        try await a.start()
        let library = try await SyncScenario.createLibrary(on: a, name: "kept")
        let invite = try await TestHTTP.request("POST", "\(a.apiURL)/libraries/\(library)/invite")
        let ticket = try LibraryTicket(decoding: try XCTUnwrap((invite.data as? [String: Any])?["ticket"] as? String))

        // A raw peer holding the real secret: DishonestPeer's stream driver, whose proofs are then
        // genuine, so a admits its sessions.
        let identity = SigningKey.generate()
        let me = identity.publicKey
        let transport = try DishonestPeer.startTransport(secretKey: identity.seed.bytes + me.bytes)
        defer { transport.shutdown() }
        let (incoming, incomingSink) = AsyncStream.makeStream(of: PeerStream.self)
        transport.handle(protocol: DishonestPeer.syncProtocol) { incomingSink.yield($0) }
        defer { incomingSink.finish() }
        let connection = try await transport.connect(to: NodeID(bytes: ticket.nodeID.bytes), addresses: ticket.addresses)
        let keys = LibraryKeys(secret: ticket.secret)

        let opened = await DishonestPeer.first(of: incoming, within: 10)
        let first = try XCTUnwrap(opened, "a opens a sync stream for its library on a new connection\n\(a.logTail())")
        let firstSession = try await DishonestPeer.run(on: first, opening: nil, me: me, node: ticket.nodeID, keys: keys, window: 2)
        XCTAssertTrue(firstSession.sawReconcile, "a should admit the session and start a round: \(firstSession)\n\(a.logTail())")
        let shared = try await a.peers()[me.hex]?.libraries
        XCTAssertEqual(shared, [library], "a's GET /peers should list the session")

        // The stream dies; the connection does not.
        first.reset(code: 7)
        let reopened = await DishonestPeer.first(of: incoming, within: 10)
        let second = try XCTUnwrap(reopened, "a must open the lost session again on the same connection\n\(a.logTail())")
        XCTAssertFalse(connection.isClosed)
        let secondSession = try await DishonestPeer.run(on: second, opening: nil, me: me, node: ticket.nodeID, keys: keys, window: 2)
        XCTAssertTrue(secondSession.sawReconcile, "the reopened session should be admitted: \(secondSession)\n\(a.logTail())")
        let sharedAgain = try await eventually(timeout: 5) { try await a.peers()[me.hex]?.libraries == [library] }
        XCTAssertTrue(sharedAgain, "a's GET /peers should list the reopened session")
        second.reset(code: 0)
    }
}
