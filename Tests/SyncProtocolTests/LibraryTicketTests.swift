import XCTest
@testable import SyncProtocol

final class LibraryTicketTests: XCTestCase {
    /// Cross-checked with an independent Python decoder (base64.b32decode + hashlib.blake2b).
    static let vector = "cansyncafv2poaqtwwrdumawqamat6ugdeaaaicamcakbqhbaequcymbuha6earcijrifiwc4mbsgq3dqor4h54ps6lky3dox5b3asdjvdgojgzen37ko4ya2k52sosnugociqfuugxg2dbojswilljnvqwozltdf5se3ljnvsv64dsmvtgs6bchiqce2lnmftwklzcpuba4mjsg4xdalrqfyytunbugmzquwz2hiyv2orugqzthw2mjuyq"

    static func ticket() throws -> LibraryTicket {
        try LibraryTicket(libraryID: Fixtures.libraryID, libraryName: "shared-images",
                          filter: #"{"mime_prefix": "image/"}"#, secret: Fixtures.secret,
                          nodeID: Fixtures.nodeA.publicKey, addresses: ["127.0.0.1:4433", "[::1]:4433"])
    }

    func testEncodesToFixedVector() throws {
        XCTAssertEqual(try Self.ticket().encoded(), Self.vector)
    }

    func testDecodesFixedVector() throws {
        let ticket = try LibraryTicket(decoding: Self.vector)
        XCTAssertEqual(ticket, try Self.ticket())
        XCTAssertEqual(ticket.libraryID, Fixtures.libraryID)
        XCTAssertEqual(ticket.libraryName, "shared-images")
        XCTAssertEqual(ticket.filter, #"{"mime_prefix": "image/"}"#, "the filter is kept verbatim, spaces included")
        XCTAssertEqual(ticket.secret, Fixtures.secret)
        XCTAssertEqual(ticket.nodeID.hex, "bc7cbcb5636375fa1d82434d466724d92377f53b980695dd49d26d0ce12205a5")
        XCTAssertEqual(ticket.addresses, ["127.0.0.1:4433", "[::1]:4433"])
    }

    func testIgnoresSurroundingWhitespace() throws {
        XCTAssertEqual(try LibraryTicket(decoding: "  \(Self.vector)\n"), try Self.ticket())
    }

    func testRoundTripsUnicodeNamesAndNoAddresses() throws {
        let ticket = try LibraryTicket(libraryID: UUID(), libraryName: "Fotos 📷 ü", filter: "{}",
                                       secret: .generate(), nodeID: Fixtures.nodeB.publicKey, addresses: [])
        XCTAssertEqual(try LibraryTicket(decoding: ticket.encoded()), ticket)
    }

    func testEverySingleCharacterSubstitutionIsRejected() {
        let original = Array(Self.vector)
        let replacements = Array("abcdefghijklmnopqrstuvwxyz234567") + ["A", "Z", "0", "1", "8", "-", "_", "=", " "]
        var tried = 0
        for position in original.indices {
            for replacement in replacements where replacement != original[position] {
                var mutated = original
                mutated[position] = replacement
                XCTAssertThrowsError(try LibraryTicket(decoding: String(mutated)), "position \(position) → \(replacement)")
                tried += 1
            }
        }
        XCTAssertGreaterThan(tried, 10_000)
    }

    func testEveryDeletionInsertionAndTruncationIsRejected() {
        let original = Array(Self.vector)
        for position in original.indices {
            var deleted = original
            deleted.remove(at: position)
            XCTAssertThrowsError(try LibraryTicket(decoding: String(deleted)), "deleting \(position)")
            for inserted in "aq7" {
                var longer = original
                longer.insert(inserted, at: position + 1)
                XCTAssertThrowsError(try LibraryTicket(decoding: String(longer)), "inserting \(inserted) after \(position)")
            }
            XCTAssertThrowsError(try LibraryTicket(decoding: String(original[..<position])), "truncated to \(position)")
        }
    }

    func testErrorMessagesSayWhatIsWrong() throws {
        var mutated = Array(Self.vector)
        mutated[40] = mutated[40] == "a" ? "b" : "a"
        assertError(String(mutated), .checksumMismatch,
                    "ticket checksum mismatch: the ticket was mistyped or truncated; copy it again from the inviting node")
        assertError(String(Self.vector.dropLast(9)), .checksumMismatch, nil)
        assertError("eyJsaWJyYXJ5X25hbWUiOi", .notATicket, nil)
        assertError("docaaacb", .notATicket, nil)
        assertError("cansync", .checksumMismatch, nil)
        assertError("cansyncab8c", .invalidCharacter("8", position: 9), nil)

        var body = [UInt8(7)] + Array(repeating: 0, count: 40)
        body += Array(Blake2b.hash(body, length: 32).prefix(4))
        assertError("cansync" + Base32.encode(body), .unsupportedVersion(7),
                    "unsupported ticket version 7: this node reads version 1; update CAN Sync or ask for a new ticket")
    }

    func testIntactChecksumOverBadBodyIsMalformedNotACrash() {
        var body: [UInt8] = [1] + Array(repeating: 0, count: 80) + [0xff, 0xff]
        body += Array(Blake2b.hash(body, length: 32).prefix(4))
        XCTAssertThrowsError(try LibraryTicket(decoding: "cansync" + Base32.encode(body))) { error in
            guard case TicketError.malformed = error else { return XCTFail("\(error)") }
        }
    }

    func testRejectsFiltersThatAreNotJSONObjects() {
        for filter in ["[]", "\"x\"", "{", "{\"a\":1,\"a\":2}", ""] {
            XCTAssertThrowsError(try LibraryTicket(libraryID: UUID(), libraryName: "x", filter: filter,
                                                   secret: .generate(), nodeID: Fixtures.nodeA.publicKey, addresses: []), filter)
        }
    }

    private func assertError(_ text: String, _ expected: TicketError, _ message: String?, line: UInt = #line) {
        XCTAssertThrowsError(try LibraryTicket(decoding: text), line: line) { error in
            XCTAssertEqual(error as? TicketError, expected, line: line)
            if let message { XCTAssertEqual("\(error)", message, line: line) }
        }
    }
}
