import Foundation
import XCTest
@testable import SyncProtocol

final class SyncHandshakeTests: XCTestCase {
    let a = Fixtures.nodeA.publicKey
    let b = Fixtures.nodeB.publicKey

    func library(_ id: UUID) -> LibraryKeys? {
        id == Fixtures.libraryID ? Fixtures.keys : nil
    }

    /// Delivers messages back and forth until neither side has anything to send.
    func run(_ initiator: inout SyncHandshake, _ acceptor: inout SyncHandshake,
             initiatorLibraries: (UUID) -> LibraryKeys? = { _ in nil }) throws -> [SyncMessage] {
        var transcript: [SyncMessage] = []
        var toAcceptor = initiator.start()
        var toInitiator: [SyncMessage] = []
        while !toAcceptor.isEmpty || !toInitiator.isEmpty {
            transcript += toAcceptor
            for message in toAcceptor {
                toInitiator += try acceptor.receive(message, libraries: library)
            }
            toAcceptor = []
            transcript += toInitiator
            for message in toInitiator {
                toAcceptor += try initiator.receive(message, libraries: initiatorLibraries)
            }
            toInitiator = []
        }
        return transcript
    }

    func testBothSidesAuthenticateWithTheSecret() throws {
        var initiator = SyncHandshake(initiatorFor: Fixtures.libraryID, keys: Fixtures.keys, localNode: a, remoteNode: b,
                                      nonce: Fixtures.repeated(0x11))
        var acceptor = SyncHandshake(acceptorWith: b, remoteNode: a, nonce: Fixtures.repeated(0x22))
        XCTAssertEqual(acceptor.start(), [])
        let transcript = try run(&initiator, &acceptor)
        XCTAssertTrue(initiator.isAuthenticated)
        XCTAssertTrue(acceptor.isAuthenticated)
        XCTAssertEqual(acceptor.libraryID, Fixtures.libraryID)
        XCTAssertEqual(acceptor.keys?.publicKey, Fixtures.keys.publicKey)
        let initiatorProof = CapabilityChallenge(libraryID: Fixtures.libraryID, localNode: a, remoteNode: b, localNonce: Fixtures.repeated(0x11))
            .proof(keys: Fixtures.keys, remoteNonce: Fixtures.repeated(0x22))
        XCTAssertEqual(initiatorProof.hex, "ca31b7c15c87a30313209594f3578ddb041f7fd613d83a25c7b4170a2501bd6f")
        XCTAssertEqual(transcript.count, 4)
        XCTAssertEqual(transcript[0], .hello(SyncHello(libraryID: Fixtures.libraryID, nonce: Fixtures.repeated(0x11))))
        XCTAssertEqual(transcript[1], .hello(SyncHello(libraryID: Fixtures.libraryID, nonce: Fixtures.repeated(0x22))))
        XCTAssertEqual(transcript[3], .proof(initiatorProof))
    }

    func testInitiatorWithoutTheSecretIsRefusedByTheAcceptor() throws {
        let forged = LibraryKeys(secret: .generate())
        var initiator = SyncHandshake(initiatorFor: Fixtures.libraryID, keys: forged, localNode: a, remoteNode: b)
        var acceptor = SyncHandshake(acceptorWith: b, remoteNode: a)
        // The honest acceptor's proof fails at the forged initiator first, which stops there.
        XCTAssertThrowsError(try run(&initiator, &acceptor)) { error in
            XCTAssertEqual((error as? SyncHandshakeError)?.failure?.code, .authenticationFailed)
        }
        XCTAssertFalse(initiator.isAuthenticated)
        XCTAssertFalse(acceptor.isAuthenticated)

        // A forged initiator that sends a proof anyway is refused by the acceptor.
        var acceptor2 = SyncHandshake(acceptorWith: b, remoteNode: a)
        let replies = try acceptor2.receive(.hello(SyncHello(libraryID: Fixtures.libraryID, nonce: Fixtures.repeated(1))), libraries: library)
        guard case .hello(let hello) = replies[0] else { return XCTFail("\(replies)") }
        let bogus = CapabilityChallenge(libraryID: Fixtures.libraryID, localNode: a, remoteNode: b, localNonce: Fixtures.repeated(1))
            .proof(keys: forged, remoteNonce: hello.nonce)
        XCTAssertThrowsError(try acceptor2.receive(.proof(bogus), libraries: library)) { error in
            XCTAssertTrue("\(error)".contains("failed the capability proof"), "\(error)")
            XCTAssertTrue("\(error)".contains(a.hex), "names the peer")
        }
        XCTAssertFalse(acceptor2.isAuthenticated)
    }

    func testUnknownLibraryIsRefusedWithAMessageForThePeer() {
        var acceptor = SyncHandshake(acceptorWith: b, remoteNode: a)
        XCTAssertThrowsError(try acceptor.receive(.hello(SyncHello(libraryID: Fixtures.otherLibraryID, nonce: .random())), libraries: library)) { error in
            let failure = (error as? SyncHandshakeError)?.failure
            XCTAssertEqual(failure?.code, .unknownLibrary)
            XCTAssertEqual(failure?.message, "this node does not hold library 6ba7b811-9dad-11d1-80b4-00c04fd430c8")
        }
    }

    func testOutOfOrderMessagesAndPeerErrorsEndTheHandshake() {
        var acceptor = SyncHandshake(acceptorWith: b, remoteNode: a)
        XCTAssertThrowsError(try acceptor.receive(.reconcile(ReconcileMessage(parts: [])), libraries: library)) { error in
            XCTAssertEqual((error as? SyncHandshakeError)?.failure?.code, .protocolViolation)
            XCTAssertTrue("\(error)".contains("reconcile message"))
        }
        var initiator = SyncHandshake(initiatorFor: Fixtures.libraryID, keys: Fixtures.keys, localNode: a, remoteNode: b)
        XCTAssertThrowsError(try initiator.receive(.error(SyncFailure(.busy, "already syncing")), libraries: library)) { error in
            XCTAssertNil((error as? SyncHandshakeError)?.failure, "no reply to a peer that aborted")
            XCTAssertTrue("\(error)".contains("already syncing"))
        }
        var wrong = SyncHandshake(initiatorFor: Fixtures.libraryID, keys: Fixtures.keys, localNode: a, remoteNode: b)
        XCTAssertThrowsError(try wrong.receive(.hello(SyncHello(libraryID: Fixtures.otherLibraryID, nonce: .random())), libraries: library))
    }
}
