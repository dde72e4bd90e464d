import Pkarr
import XCTest

final class SignedPacketTests: XCTestCase {
    /// pkarr's published vector (js/test/signed_packet.js at pkarr commit 50422c8): zero seed, uncompressed DNS.
    static let pkarrVectorPayload =
        "c45d1577e6c0d7fe24d1cd6696776a25628b438ffa10b1419dfdede3c51f8577d8447d44df4523fa43f574d6f13a65433fa828eb280065c271fcdcaef5365c01"
        + "0006076d852b5458"
        + "000080000000000200000000"
        + "343870696e787867717334316e346169646964656e773561707170317572666d7a647a7472386a74346162726b646e34333565776f00"
        + "00010001000000000004" + "01010101"
        + "03666f6f343870696e787867717334316e346169646964656e773561707170317572666d7a647a7472386a74346162726b646e34333565776f00"
        + "00100001" + "0000001e" + "0004" + "03626172"

    /// This project's own vector: seed 00…1f, three records sharing names, name compression on.
    static let ownVectorPayload =
        "b7faef8e442a5283730cc6f4a37f2c290862607358d00f8c0f8bb634d66b6e76e8b941fa3e11094b33d8ad8eff4d4253e07c7eae93b56bb3b7a69c8ff867cf06"
        + "00060a24181e4000"
        + "000080000000000300000000"
        + "095f63616e2d73796e633479716f6f787839753361656d68386d6f3577637171313679756675366a69746f7571316f347a613735316467657231696767687900"
        + "001000010000012c0044"
        + "43" + "69643d61306131613261336134613561366137613861396161616261636164616561666230623162326233623462356236623762386239626162626263626462656266"
        + "c00c" + "001000010000012c0014" + "13616464723d3132372e302e302e313a34343333"
        + "c016" + "001c00010000012c0010" + "00000000000000000000000000000001"

    func testPkarrPublishedVector() throws {
        let keyPair = Ed25519KeyPair(seed: [UInt8](repeating: 0, count: 32))
        XCTAssertEqual(keyPair.publicKey.bytes.hexEncoded, "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29")
        XCTAssertEqual(keyPair.publicKey.zBase32, "8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo")

        let packet = try SignedPacket(keyPair: keyPair, timestamp: 1_697_016_827_303_000, records: [
            DNSRecord(name: "@", ttl: 0, data: .a([1, 1, 1, 1])),
            DNSRecord(name: "foo", ttl: 30, data: .txt("bar")),
        ], compressed: false)
        XCTAssertEqual(packet.relayPayload.hexEncoded, Self.pkarrVectorPayload)
        XCTAssertEqual(packet.bytes.count, 32 + 64 + 8 + 152)

        let decoded = try SignedPacket(publicKey: keyPair.publicKey, relayPayload: [UInt8](hexEncoded: Self.pkarrVectorPayload)!)
        XCTAssertEqual(decoded.timestamp, 1_697_016_827_303_000)
        XCTAssertEqual(decoded.records(named: "@"), [DNSRecord(name: keyPair.publicKey.zBase32, ttl: 0, data: .a([1, 1, 1, 1]))])
        XCTAssertEqual(decoded.records(named: "foo").first?.data.text, "bar")
        XCTAssertEqual(decoded.records(named: "foo").first?.ttl, 30)
    }

    func testOwnCompressedVector() throws {
        let keyPair = Ed25519KeyPair(seed: Array(0..<32))
        XCTAssertEqual(keyPair.publicKey.zBase32, "yqooxx9u3aemh8mo5wcqq16yufu6jitouq1o4za751dger1igghy")
        let nodeID = (0xa0..<0xc0).map { UInt8($0) }.hexEncoded
        let packet = try SignedPacket(keyPair: keyPair, timestamp: 1_700_000_000_000_000, records: [
            DNSRecord(name: "_can-sync", ttl: 300, data: .txt("id=\(nodeID)")),
            DNSRecord(name: "_can-sync", ttl: 300, data: .txt("addr=127.0.0.1:4433")),
            DNSRecord(name: "@", ttl: 300, data: .aaaa([UInt8](repeating: 0, count: 15) + [1])),
        ])
        XCTAssertEqual(packet.relayPayload.hexEncoded, Self.ownVectorPayload)
        XCTAssertEqual(packet.dnsBytes.count, 214)

        let decoded = try SignedPacket(publicKey: keyPair.publicKey, relayPayload: packet.relayPayload)
        XCTAssertEqual(decoded, packet)
        XCTAssertEqual(decoded.records(named: "_can-sync").compactMap(\.data.text), ["id=\(nodeID)", "addr=127.0.0.1:4433"])
    }

    func testRejectsTamperedShortAndOversizedPayloads() throws {
        let keyPair = Ed25519KeyPair(seed: [UInt8](repeating: 0, count: 32))
        let payload = [UInt8](hexEncoded: Self.pkarrVectorPayload)!
        var tampered = payload
        tampered[payload.count - 1] ^= 1
        XCTAssertThrowsError(try SignedPacket(publicKey: keyPair.publicKey, relayPayload: tampered)) {
            XCTAssertEqual($0 as? PkarrError, .badSignature)
        }
        var olderStamp = payload
        olderStamp[64 + 7] ^= 1
        XCTAssertThrowsError(try SignedPacket(publicKey: keyPair.publicKey, relayPayload: olderStamp)) {
            XCTAssertEqual($0 as? PkarrError, .badSignature)
        }
        let other = Ed25519KeyPair(seed: Array(0..<32))
        XCTAssertThrowsError(try SignedPacket(publicKey: other.publicKey, relayPayload: payload))
        XCTAssertThrowsError(try SignedPacket(publicKey: keyPair.publicKey, relayPayload: Array(payload.prefix(80))))

        let big = String(repeating: "x", count: 255)
        XCTAssertThrowsError(try SignedPacket(keyPair: keyPair, timestamp: 1, records: (0..<4).map { _ in
            DNSRecord(name: "big", ttl: 1, data: .txt(big))
        })) { XCTAssertEqual($0 as? PkarrError, .dnsTooLarge(1140)) }
    }

    func testSignedGarbageDNSIsRejectedAfterTheSignature() throws {
        let keyPair = Ed25519KeyPair.random()
        let dns: [UInt8] = [0, 0, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 5, 0x61]
        let signature = keyPair.sign(SignedPacket.signable(timestamp: 7, dns: dns))
        let payload = signature + [0, 0, 0, 0, 0, 0, 0, 7] + dns
        XCTAssertThrowsError(try SignedPacket(publicKey: keyPair.publicKey, relayPayload: payload)) {
            guard case .malformedDNS = $0 as? PkarrError else { return XCTFail("expected malformedDNS, got \($0)") }
        }
    }

    func testMoreRecentOrdering() throws {
        let keyPair = Ed25519KeyPair.random()
        let older = try SignedPacket(keyPair: keyPair, timestamp: 10, records: [DNSRecord(name: "a", ttl: 1, data: .txt("a"))])
        let newer = try SignedPacket(keyPair: keyPair, timestamp: 11, records: [DNSRecord(name: "a", ttl: 1, data: .txt("a"))])
        let tieLarger = try SignedPacket(keyPair: keyPair, timestamp: 10, records: [DNSRecord(name: "a", ttl: 1, data: .txt("b"))])
        XCTAssertTrue(newer.isMoreRecent(than: older))
        XCTAssertFalse(older.isMoreRecent(than: newer))
        XCTAssertTrue(tieLarger.isMoreRecent(than: older))
        XCTAssertFalse(older.isMoreRecent(than: older))
    }
}
