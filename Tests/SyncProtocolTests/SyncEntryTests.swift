import XCTest
@testable import SyncProtocol

final class SyncEntryTests: XCTestCase {
    /// Signatures cross-checked with Python's `cryptography` Ed25519, digest with hashlib.blake2b.
    static let vectorHex = "01f2493ad1624ae94f3068d7ed255f6d23ac294af9f7229a4e80bc0023b0791c43bc7cbcb5636375fa1d82434d466724d92377f53b980695dd49d26d0ce12205a500060a24182d82405a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5ad20909696d6167652f706e670105706173746502066261636b75700670686f746f730105616c69636501076361742e706e67277b2263616d657261223a7b226d616b65223a2258227d2c2268223a3438302c2277223a3634307d0000018bcfe568000000018bcfe56be8008068943563e57bc9458dad283615d0b627ce35ae1ee8aa48eaf5f414091502041cd0ee907ea818081f38af2559b2624986a56c11971cc5db55c41213b40c34092188abc64a427740f7cae373c1f64623f840faef8a4748962122884a10907995110d63682153371439ac35c764d74683dc91245730e0dd6d3b45e08a5cfaed0f"
    static let timestamp: UInt64 = 1_700_000_001_000_000

    static func entry(manifest: AssetManifest = Fixtures.manifest(), timestamp: UInt64 = timestamp,
                      author: SigningKey = Fixtures.nodeA) -> SyncEntry {
        SyncEntry(manifest: manifest, timestamp: timestamp, library: Fixtures.keys, author: author)
    }

    func testEncodesToFixedVector() {
        XCTAssertEqual(Hex.encode(Self.entry().encoded()), Self.vectorHex)
        XCTAssertEqual(Self.entry().digest.hex, "3e78187d3eb6ba39c220e933ca958278d430514e6afd021611a2d66d2bf30685")
    }

    func testDecodesFixedVectorAndVerifies() throws {
        let entry = try SyncEntry(decoding: Hex.decode(Self.vectorHex)!)
        XCTAssertEqual(entry, Self.entry())
        XCTAssertEqual(entry.manifest.tags, ["backup", "photos"])
        XCTAssertEqual(entry.manifest.metadata, #"{"camera":{"make":"X"},"h":480,"w":640}"#)
        XCTAssertEqual(entry.manifest.hashHex, String(repeating: "5a", count: 32))
        XCTAssertEqual(entry.author, Fixtures.nodeA.publicKey)
        XCTAssertNoThrow(try entry.verify(libraryKey: Fixtures.keys.publicKey, now: Self.timestamp))
    }

    func testRoundTripsOptionalsAbsentAndTombstones() throws {
        let manifest = try AssetManifest(hashHex: String(repeating: "ab", count: 32), size: 0, mimeType: "text/plain",
                                         createdAt: -5, updatedAt: 0, deleted: true)
        let entry = Self.entry(manifest: manifest)
        let decoded = try SyncEntry(decoding: entry.encoded())
        XCTAssertEqual(decoded, entry)
        XCTAssertTrue(decoded.manifest.deleted)
        XCTAssertNil(decoded.manifest.application)
        XCTAssertEqual(decoded.manifest.createdAt, -5)
    }

    func testAnyFlippedBitFailsDecodingOrVerification() {
        let bytes = Self.entry().encoded()
        for index in bytes.indices {
            var mutated = bytes
            mutated[index] ^= 0x04
            if let entry = try? SyncEntry(decoding: mutated) {
                XCTAssertThrowsError(try entry.verify(libraryKey: Fixtures.keys.publicKey, now: Self.timestamp), "byte \(index)")
            }
        }
    }

    func testVerificationNamesTheFailure() throws {
        let entry = Self.entry()
        XCTAssertThrowsError(try entry.verify(libraryKey: Fixtures.nodeB.publicKey, now: Self.timestamp)) { error in
            guard case EntryError.wrongLibrary = error else { return XCTFail("\(error)") }
        }
        let outsider = LibraryKeys(secret: .generate())
        let forged = SyncEntry(manifest: Fixtures.manifest(), timestamp: Self.timestamp, library: outsider, author: Fixtures.nodeA)
        var bytes = forged.encoded()
        bytes.replaceSubrange(1..<33, with: Fixtures.keys.publicKey.bytes)
        XCTAssertThrowsError(try SyncEntry(decoding: bytes).verify(libraryKey: Fixtures.keys.publicKey, now: Self.timestamp)) { error in
            guard case EntryError.badLibrarySignature = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains(Fixtures.nodeA.publicKey.hex), "names the author node")
        }
        var authorSwapped = entry.encoded()
        authorSwapped.replaceSubrange(bytes.count - 64..<bytes.count, with: Fixtures.nodeB.sign([1]).bytes)
        XCTAssertThrowsError(try SyncEntry(decoding: authorSwapped).verify(libraryKey: Fixtures.keys.publicKey, now: Self.timestamp)) { error in
            guard case EntryError.badAuthorSignature = error else { return XCTFail("\(error)") }
        }
    }

    func testFutureSkewBoundIsTenMinutes() {
        let now: UInt64 = 1_700_000_000_000_000
        XCTAssertNoThrow(try Self.entry(timestamp: now + 600_000_000).verify(libraryKey: Fixtures.keys.publicKey, now: now))
        XCTAssertThrowsError(try Self.entry(timestamp: now + 600_000_001).verify(libraryKey: Fixtures.keys.publicKey, now: now)) { error in
            guard case EntryError.timestampInFuture = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("check that node's clock"))
        }
        XCTAssertNoThrow(try Self.entry(timestamp: 1).verify(libraryKey: Fixtures.keys.publicKey, now: now), "old entries are fine")
    }

    func testConflictRuleIsTimestampThenAuthorThenDigest() throws {
        let older = Self.entry(timestamp: 100)
        let newer = Self.entry(timestamp: 101, author: Fixtures.nodeB)
        XCTAssertTrue(newer.wins(over: older))
        XCTAssertFalse(older.wins(over: newer))

        let (low, high) = Fixtures.nodeA.publicKey < Fixtures.nodeB.publicKey ? (Fixtures.nodeA, Fixtures.nodeB) : (Fixtures.nodeB, Fixtures.nodeA)
        XCTAssertTrue(Self.entry(timestamp: 100, author: high).wins(over: Self.entry(timestamp: 100, author: low)))

        var other = Fixtures.manifest()
        other.size = 99
        let first = Self.entry(timestamp: 100)
        let second = Self.entry(manifest: other, timestamp: 100)
        XCTAssertNotEqual(first.digest, second.digest)
        let winner = first.digest > second.digest ? first : second
        XCTAssertEqual(SyncEntry.resolve(first, second), winner)
        XCTAssertEqual(SyncEntry.resolve(second, first), winner, "both nodes pick the same winner whatever the order")
        XCTAssertFalse(first.wins(over: first))
    }

    func testDecodingRejectsNonCanonicalAndTruncatedInput() throws {
        let good = Self.entry().encoded()
        for length in 0..<good.count {
            XCTAssertThrowsError(try SyncEntry(decoding: Array(good[..<length])), "truncated to \(length)")
        }
        XCTAssertThrowsError(try SyncEntry(decoding: good + [0])) { error in
            XCTAssertTrue("\(error)".contains("trailing"))
        }
        // Swap the two length-prefixed tags in place: the same bytes in the wrong order.
        let backup = [UInt8(6)] + Array("backup".utf8)
        let photos = [UInt8(6)] + Array("photos".utf8)
        let tagStart = (0..<good.count - 14).first { Array(good[$0..<$0 + 7]) == backup }!
        XCTAssertEqual(Array(good[tagStart + 7..<tagStart + 14]), photos)
        var swapped = good
        swapped.replaceSubrange(tagStart..<tagStart + 14, with: photos + backup)
        XCTAssertThrowsError(try SyncEntry(decoding: swapped)) { error in
            XCTAssertTrue("\(error)".contains("canonical"), "\(error)")
        }
    }

    func testHybridLogicalClockNeverRunsBackwards() {
        var clock = HybridLogicalClock()
        XCTAssertEqual(clock.tick(wallClock: 1000), 1000)
        XCTAssertEqual(clock.tick(wallClock: 1000), 1001, "same wall time still advances")
        XCTAssertEqual(clock.tick(wallClock: 500), 1002, "wall clock stepping back does not")
        clock.observe(5000)
        XCTAssertEqual(clock.tick(wallClock: 2000), 5001, "an edit after seeing a remote entry wins over it")
        clock.observe(10)
        XCTAssertEqual(clock.last, 5001)
        XCTAssertGreaterThan(HybridLogicalClock.wallClockMicros(), 1_600_000_000_000_000)
    }
}
