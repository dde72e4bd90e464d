import XCTest
@testable import SyncProtocol

/// Vectors cross-checked with Python's hashlib.blake2b, hmac and the cryptography package.
final class LibraryKeysTests: XCTestCase {
    func testDerivedKeysMatchVectors() {
        let keys = Fixtures.keys
        XCTAssertEqual(keys.publicKey.hex, "f2493ad1624ae94f3068d7ed255f6d23ac294af9f7229a4e80bc0023b0791c43")
        XCTAssertEqual(keys.gossipTopic.hex, "8989ada9ecca43cf65c64a08bbc4ee1ea1d6a023443ae419080e6e0b1209cac4")
        XCTAssertEqual(keys.authKey.hex, "9e74ccb3e09f49b0c6a3443137153a7f8dac4dcdc34940676319210a90911986")
    }

    func testDerivedKeysAreDistinctAndSecretDependent() {
        let other = LibraryKeys(secret: LibrarySecret(Fixtures.repeated(9)))
        let keys = Fixtures.keys
        XCTAssertEqual(Set([keys.publicKey.bytes32, keys.gossipTopic, keys.authKey, keys.signingKey.seed]).count, 4)
        XCTAssertNotEqual(other.publicKey, keys.publicKey)
        XCTAssertNotEqual(other.gossipTopic, keys.gossipTopic)
        XCTAssertNotEqual(other.authKey, keys.authKey)
    }

    func testSecretNeverAppearsInDescriptions() {
        XCTAssertFalse("\(Fixtures.secret)".contains(Fixtures.secret.bytes32.hex))
        XCTAssertFalse("\(Fixtures.nodeA)".contains(Fixtures.nodeA.seed.hex))
    }

    func testNodeKeyVectorsAndLibsodiumSecretKeyForm() {
        XCTAssertEqual(Fixtures.nodeA.publicKey.hex, "bc7cbcb5636375fa1d82434d466724d92377f53b980695dd49d26d0ce12205a5")
        XCTAssertEqual(Fixtures.nodeB.publicKey.hex, "55154f42065ea5a1bea05463826be2684eb92df92c100027aabaae57ca554207")
        let secretKey = Fixtures.nodeA.seed.bytes + Fixtures.nodeA.publicKey.bytes
        XCTAssertEqual(SigningKey(libsodiumSecretKey: secretKey)?.publicKey, Fixtures.nodeA.publicKey)
        XCTAssertNil(SigningKey(libsodiumSecretKey: Fixtures.nodeA.seed.bytes + Fixtures.nodeB.publicKey.bytes))
    }
}

final class CapabilityChallengeTests: XCTestCase {
    let nonceA = Fixtures.repeated(0x11)
    let nonceB = Fixtures.repeated(0x22)

    func challenge(_ library: UUID = Fixtures.libraryID, local: SigningKey, remote: SigningKey, nonce: Bytes32) -> CapabilityChallenge {
        CapabilityChallenge(libraryID: library, localNode: local.publicKey, remoteNode: remote.publicKey, localNonce: nonce)
    }

    func testProofMatchesVector() {
        let a = challenge(local: Fixtures.nodeA, remote: Fixtures.nodeB, nonce: nonceA)
        XCTAssertEqual(a.proof(keys: Fixtures.keys, remoteNonce: nonceB).hex,
                       "ca31b7c15c87a30313209594f3578ddb041f7fd613d83a25c7b4170a2501bd6f")
    }

    func testHolderOfTheSecretPassesBothWays() {
        let a = challenge(local: Fixtures.nodeA, remote: Fixtures.nodeB, nonce: nonceA)
        let b = challenge(local: Fixtures.nodeB, remote: Fixtures.nodeA, nonce: nonceB)
        XCTAssertTrue(b.verify(a.proof(keys: Fixtures.keys, remoteNonce: nonceB), keys: Fixtures.keys, remoteNonce: nonceA))
        XCTAssertTrue(a.verify(b.proof(keys: Fixtures.keys, remoteNonce: nonceA), keys: Fixtures.keys, remoteNonce: nonceB))
    }

    func testWrongSecretFails() {
        let intruder = LibraryKeys(secret: .generate())
        let a = challenge(local: Fixtures.nodeA, remote: Fixtures.nodeB, nonce: nonceA)
        let b = challenge(local: Fixtures.nodeB, remote: Fixtures.nodeA, nonce: nonceB)
        XCTAssertFalse(b.verify(a.proof(keys: intruder, remoteNonce: nonceB), keys: Fixtures.keys, remoteNonce: nonceA))
    }

    func testReflectedProofFails() {
        // B's own proof sent back to B (swapped direction) must not pass as A's.
        let b = challenge(local: Fixtures.nodeB, remote: Fixtures.nodeA, nonce: nonceB)
        XCTAssertFalse(b.verify(b.proof(keys: Fixtures.keys, remoteNonce: nonceA), keys: Fixtures.keys, remoteNonce: nonceA))
    }

    func testReplayOnANewConnectionFails() {
        let a = challenge(local: Fixtures.nodeA, remote: Fixtures.nodeB, nonce: nonceA)
        let recorded = a.proof(keys: Fixtures.keys, remoteNonce: nonceB)
        let freshB = challenge(local: Fixtures.nodeB, remote: Fixtures.nodeA, nonce: .random())
        XCTAssertFalse(freshB.verify(recorded, keys: Fixtures.keys, remoteNonce: nonceA))
    }

    func testProofForAnotherLibraryOrAnotherPeerFails() {
        let a = challenge(local: Fixtures.nodeA, remote: Fixtures.nodeB, nonce: nonceA)
        let proof = a.proof(keys: Fixtures.keys, remoteNonce: nonceB)
        let otherLibrary = challenge(Fixtures.otherLibraryID, local: Fixtures.nodeB, remote: Fixtures.nodeA, nonce: nonceB)
        XCTAssertFalse(otherLibrary.verify(proof, keys: Fixtures.keys, remoteNonce: nonceA))
        let thirdNode = SigningKey(seed: Fixtures.repeated(0xC3))
        let relayed = challenge(local: thirdNode, remote: Fixtures.nodeA, nonce: nonceB)
        XCTAssertFalse(relayed.verify(proof, keys: Fixtures.keys, remoteNonce: nonceA), "a proof made for B does not convince C")
    }

    func testFreshNoncesDiffer() {
        XCTAssertNotEqual(challenge(local: Fixtures.nodeA, remote: Fixtures.nodeB, nonce: .random()).localNonce,
                          challenge(local: Fixtures.nodeA, remote: Fixtures.nodeB, nonce: .random()).localNonce)
    }
}
