import Foundation
import SyncProtocol
import TestSupport
import XCTest

/// Library access is a capability: a node that knows a library's id but not its secret gets
/// neither entries nor blobs, and a mistyped ticket is refused with a clear message.
final class CapabilityTests: XCTestCase {
    func testNodeWithoutTheSecretGetsNothing() async throws {
        let a = try NodeProcess(label: "a", configLines: ["poll_interval_secs: 1"], bundledStore: true)
        let intruder = try NodeProcess(label: "intruder", configLines: ["poll_interval_secs: 1"], bundledStore: true)
        let member = try NodeProcess(label: "member", configLines: ["poll_interval_secs: 1"], bundledStore: true)
        for node in [a, intruder, member] { try await node.start() }
        let hash = try await SyncScenario.ingest(Data("secret stuff".utf8), into: a)["hash"] as! String
        let library = try await SyncScenario.createLibrary(on: a, name: "private")

        let invite = try await TestHTTP.request("POST", "\(a.apiURL)/libraries/\(library)/invite")
        let real = try LibraryTicket(decoding: try XCTUnwrap((invite.data as? [String: Any])?["ticket"] as? String))
        var forged = real
        forged.secret = .generate()
        let joined = try await TestHTTP.request("POST", "\(intruder.apiURL)/join", json: ["ticket": forged.encoded()])
        XCTAssertEqual(joined.status, 201, joined.text)
        let memberJoin = try await TestHTTP.request("POST", "\(member.apiURL)/join", json: ["ticket": real.encoded()])
        XCTAssertEqual(memberJoin.status, 201, memberJoin.text)

        // The member syncs; by then the intruder has been connected just as long.
        let synced = try await eventually(timeout: 20) { try await SyncScenario.meta(hash, on: member) != nil }
        XCTAssertTrue(synced)
        let connected = try await eventually(timeout: 10) {
            let peers = try await TestHTTP.get("\(intruder.apiURL)/peers").data as? [[String: Any]]
            return peers?.first?["state"] as? String == "connected"
        }
        XCTAssertTrue(connected, "the intruder should reach a's transport, and be refused by the library")
        let details = try await TestHTTP.get("\(intruder.apiURL)/libraries/\(library)").data as? [String: Any]
        XCTAssertEqual(details?["entry_count"] as? Int, 0, "no entry may reach a node without the secret")
        let leaked = try await SyncScenario.meta(hash, on: intruder)
        XCTAssertNil(leaked)
        let peers = try await TestHTTP.get("\(intruder.apiURL)/peers").data as? [[String: Any]]
        XCTAssertEqual(peers?.first?["libraries"] as? [String], [], "no sync session may be authenticated")
    }

    func testMistypedTicketIsRejectedClearly() async throws {
        let a = try NodeProcess(label: "a")
        try await a.start()
        let library = try await SyncScenario.createLibrary(on: a, name: "typo")
        let invite = try await TestHTTP.request("POST", "\(a.apiURL)/libraries/\(library)/invite")
        var ticket = Array(try XCTUnwrap((invite.data as? [String: Any])?["ticket"] as? String))
        ticket[20] = ticket[20] == "a" ? "b" : "a"
        let reply = try await TestHTTP.request("POST", "\(a.apiURL)/join", json: ["ticket": String(ticket)])
        XCTAssertEqual(reply.status, 400)
        XCTAssertEqual(reply.json?["status"] as? String, "error")
        XCTAssertTrue((reply.json?["error"] as? String)?.contains("checksum") ?? false, reply.text)
        let again = try await TestHTTP.request("POST", "\(a.apiURL)/join",
                                               json: ["ticket": try XCTUnwrap((invite.data as? [String: Any])?["ticket"] as? String)])
        XCTAssertEqual(again.status, 409, "joining a library this node already has is a conflict")
    }
}
