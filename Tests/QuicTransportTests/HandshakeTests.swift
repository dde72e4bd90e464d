import Foundation
import PluginHost
import TestSupport
import XCTest

/// Raw-public-key handshakes: each side learns the key the other proved, and a dial insists on
/// the key it asked for.
final class HandshakeTests: XCTestCase {
    func testHandshakeReportsProvenNodeIDsOnBothSides() async throws {
        let server = try makeNode()
        let client = try makeNode()
        var serverEvents = server.transport.events.makeAsyncIterator()

        let connection = try await within(10, "dial") {
            try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        }
        XCTAssertEqual(connection.peer, server.nodeID)
        XCTAssertFalse(connection.incoming)
        XCTAssertEqual(connection.remoteAddress, server.address)

        guard case .opened(let accepted)? = await serverEvents.next() else {
            return XCTFail("the server reported no opened connection")
        }
        XCTAssertEqual(accepted.peer, client.nodeID, "the server must learn the client's node id from the handshake")
        XCTAssertTrue(accepted.incoming)
        XCTAssertEqual(accepted.remoteAddress, client.address)

        // Dialing again reuses the connection instead of opening a second one.
        let again = try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        XCTAssertTrue(again === connection)
        let info = try connection.info()
        XCTAssertEqual(info.peer, server.nodeID)
        XCTAssertGreaterThan(info.bytesSent, 0)
        XCTAssertGreaterThan(info.rttMicroseconds, 0)
    }

    func testDialRefusesAServerThatProvesAnotherKey() async throws {
        let listening = try makeNode()
        let client = try makeNode()
        let expected = try TransportTestNode()  // exists only for its id; never listens at that address
        expected.shutdown()
        do {
            _ = try await within(15, "dial to the wrong key") {
                try await client.transport.connect(to: expected.nodeID, addresses: [listening.address])
            }
            XCTFail("a dial to \(expected.nodeID.short) succeeded although \(listening.nodeID.short) listens there")
        } catch TransportError.dialFailed(let peer, let reason) {
            XCTAssertEqual(peer, expected.nodeID)
            XCTAssertTrue(reason.contains(listening.nodeID.hex), "the reason should name the key the server proved: \(reason)")
        }
        XCTAssertTrue(client.transport.connections.isEmpty)
        XCTAssertTrue(listening.transport.connections.isEmpty)
    }

    func testServerRefusesAClientThatProvesNoEd25519Key() async throws {
        let server = try makeNode()
        serveEcho(on: server)
        var serverEvents = server.transport.events.makeAsyncIterator()
        // No key at all, and a raw key of the wrong kind (P-256, not a node's Ed25519 key).
        for key in ["nokey", "p256key"] {
            let raw = try await within(20, "the raw client with \(key)") {
                try await RawQuicClient.run(server.address, [key, "echo"])
            }
            // TLS 1.3 lets the client finish first; the server then closes with a TLS alert
            // (CRYPTO_ERROR, 0x100 + alert) before any stream of the client reaches it.
            XCTAssertEqual(raw.status, 1, "\(key): \(raw.output)")
            XCTAssertNotNil(raw.output.range(of: #"closed: ERR_DRAINING \(transport error 0x1[0-9a-f]{2}\)"#,
                                             options: .regularExpression), "\(key): \(raw.output)")
            XCTAssertFalse(raw.output.contains("stream echo"), "\(key): \(raw.output)")
        }
        XCTAssertTrue(server.transport.connections.isEmpty)

        // The server's first event is the regular client that follows: the refused ones left none.
        let client = try makeNode()
        _ = try await within(10, "dial after the refused clients") {
            try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        }
        guard case .opened(let accepted)? = await serverEvents.next() else {
            return XCTFail("the server reported no opened connection")
        }
        XCTAssertEqual(accepted.peer, client.nodeID)
    }

    func testDialRacesAddressesAndTheListeningOneWins() async throws {
        let server = try makeNode()
        let client = try makeNode(["handshake_timeout_ms": 5000])
        // A bound socket that never answers: no ICMP error lets an attempt to it end early, so only
        // the handshake timeout would end it.
        let silent = try UDPProbe()
        let addresses = ["not an address", silent.address, server.address]
        let started = ContinuousClock.now
        let connection = try await within(15, "dial") {
            try await client.transport.connect(to: server.nodeID, addresses: addresses)
        }
        let elapsed = ContinuousClock.now - started
        XCTAssertEqual(connection.peer, server.nodeID)
        XCTAssertEqual(connection.remoteAddress, server.address)
        // Tried one after another, the listening address would only be reached after the silent
        // one's 5 s handshake timeout.
        XCTAssertLessThan(elapsed, .milliseconds(2000), "the dial took \(elapsed): the addresses were not raced")
        XCTAssertNotNil(silent.receive(timeout: 1), "the dial never tried the silent address")
    }

    func testDialFailsWhenNothingAnswers() async throws {
        let client = try makeNode(["handshake_timeout_ms": 500])
        let nobody = try TransportTestNode()
        nobody.shutdown()
        let silent = "127.0.0.1:\(LoopbackPorts.freeTCPPort())"
        do {
            _ = try await within(10, "dial to nobody") {
                try await client.transport.connect(to: nobody.nodeID, addresses: [silent])
            }
            XCTFail("a dial to a silent address succeeded")
        } catch TransportError.dialFailed(_, let reason) {
            XCTAssertTrue(reason.contains(silent), reason)
        }
    }

    func testIPv6LoopbackWorksEndToEnd() async throws {
        let server = try makeNode(["bind": "[::1]:0"])
        let client = try makeNode(["bind": "[::1]:0"])
        serveEcho(on: server)
        XCTAssertTrue(server.address.hasPrefix("[::1]:"), server.address)
        let connection = try await within(10, "dial over IPv6") {
            try await client.transport.connect(to: server.nodeID, addresses: [server.address])
        }
        XCTAssertEqual(connection.remoteAddress, server.address)
        let stream = try await connection.openStream(protocol: "test/echo/1")
        try await stream.write(Array("v6".utf8))
        try stream.finish()
        let echoed = try await within(10, "echo over IPv6") { try await stream.readToEnd(limit: 8) }
        XCTAssertEqual(echoed, Array("v6".utf8))
    }

    func testUnknownSettingIsRejectedByName() throws {
        XCTAssertThrowsError(try TransportTestNode(settings: ["idle_timeout": 5])) { error in
            XCTAssertTrue("\(error)".contains("unknown setting 'idle_timeout'"), "\(error)")
        }
        XCTAssertThrowsError(try TransportTestNode(settings: ["bind": "localhost"])) { error in
            XCTAssertTrue("\(error)".contains("bind"), "\(error)")
        }
    }
}
