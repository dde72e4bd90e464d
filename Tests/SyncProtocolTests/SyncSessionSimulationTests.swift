import Foundation
import XCTest
@testable import SyncProtocol

/// Two simulated nodes run a whole sync session through the public API exactly as the node's
/// engine does — framed bytes, handshake, reconciliation, entry exchange, conflict rule — and
/// must end with identical documents.
final class SyncSessionSimulationTests: XCTestCase {
    /// One node's library document: the winning entry per asset hash.
    struct Node {
        let key: SigningKey
        var document: [Bytes32: SyncEntry] = [:]
        var clock = HybridLogicalClock()

        init(key: SigningKey) {
            self.key = key
        }

        mutating func write(_ hash: Bytes32, size: UInt64, deleted: Bool = false) {
            let manifest = try! AssetManifest(hash: hash, size: size, mimeType: "application/octet-stream",
                                              createdAt: 1, updatedAt: 2, deleted: deleted)
            apply(SyncEntry(manifest: manifest, timestamp: clock.tick(wallClock: 1_700_000_000_000_000),
                            library: Fixtures.keys, author: key))
        }

        mutating func apply(_ entry: SyncEntry) {
            if let current = document[entry.hash], !entry.wins(over: current) { return }
            document[entry.hash] = entry
        }
    }

    /// A byte pipe in each direction, decoded with `SyncFrameDecoder` like a real stream.
    struct Pipe {
        var decoder = SyncFrameDecoder()
        var bytes = 0

        mutating func send(_ message: SyncMessage) throws {
            let frame = try message.encodedFrame()
            bytes += frame.count
            decoder.append(frame)
        }

        mutating func receive() throws -> SyncMessage {
            guard let message = try decoder.next() else { throw ReconcileError("pipe empty") }
            return message
        }
    }

    /// Runs one session with `a` dialing `b`; returns the bytes that crossed in both directions.
    func sync(_ a: inout Node, _ b: inout Node) throws -> Int {
        var toB = Pipe()
        var toA = Pipe()
        var handshakeA = SyncHandshake(initiatorFor: Fixtures.libraryID, keys: Fixtures.keys,
                                       localNode: a.key.publicKey, remoteNode: b.key.publicKey)
        var handshakeB = SyncHandshake(acceptorWith: b.key.publicKey, remoteNode: a.key.publicKey)
        let libraries: (UUID) -> LibraryKeys? = { $0 == Fixtures.libraryID ? Fixtures.keys : nil }
        for message in handshakeA.start() { try toB.send(message) }
        while !(handshakeA.isAuthenticated && handshakeB.isAuthenticated) {
            while toB.decoder.bufferedBytes > 0 {
                for reply in try handshakeB.receive(try toB.receive(), libraries: libraries) { try toA.send(reply) }
            }
            while toA.decoder.bufferedBytes > 0 {
                for reply in try handshakeA.receive(try toA.receive(), libraries: libraries) { try toB.send(reply) }
            }
        }

        var reconcilerA = Reconciler(set: try ReconcileSet(a.document.values.map(\.reconcileItem)))
        var reconcilerB = Reconciler(set: try ReconcileSet(b.document.values.map(\.reconcileItem)))
        try toB.send(.reconcile(reconcilerA.initialMessage()))
        var turnB = true
        while !(reconcilerA.isComplete && reconcilerB.isComplete) {
            guard case .reconcile(let message) = turnB ? try toB.receive() : try toA.receive() else {
                throw ReconcileError("expected a reconcile message")
            }
            if let reply = turnB ? try reconcilerB.respond(to: message) : try reconcilerA.respond(to: message) {
                if turnB { try toA.send(.reconcile(reply)) } else { try toB.send(.reconcile(reply)) }
            }
            turnB.toggle()
        }

        for message in SyncMessage.entryBatches(reconcilerA.sendKeys.map { a.document[$0]! }, maxPayloadBytes: 8192) {
            try toB.send(message)
        }
        try toB.send(.done)
        for message in SyncMessage.entryBatches(reconcilerB.sendKeys.map { b.document[$0]! }, maxPayloadBytes: 8192) {
            try toA.send(message)
        }
        try toA.send(.done)
        try receiveEntries(&toB, into: &b, expecting: reconcilerB.needKeys)
        try receiveEntries(&toA, into: &a, expecting: reconcilerA.needKeys)
        return toA.bytes + toB.bytes
    }

    func receiveEntries(_ pipe: inout Pipe, into node: inout Node, expecting needed: Set<Bytes32>) throws {
        var received = Set<Bytes32>()
        while true {
            switch try pipe.receive() {
            case .entries(let entries):
                for entry in entries {
                    try entry.verify(libraryKey: Fixtures.keys.publicKey, now: 1_700_000_000_000_000 + 60_000_000)
                    node.clock.observe(entry.timestamp)
                    node.apply(entry)
                    received.insert(entry.hash)
                }
            case .done:
                XCTAssertEqual(received, needed, "received exactly the entries reconciliation said the peer would send")
                return
            case let other:
                return XCTFail("unexpected \(other)")
            }
        }
    }

    func testDivergedNodesConvergeAndThenStayInSync() throws {
        var random = SeededGenerator(seed: 77)
        var a = Node(key: Fixtures.nodeA)
        var b = Node(key: Fixtures.nodeB)
        let shared = (0..<2000).map { _ in random.bytes32() }
        for hash in shared { a.write(hash, size: 1) }
        b.document = a.document
        b.clock.observe(a.clock.last)
        for _ in 0..<30 { a.write(random.bytes32(), size: 2) }
        for _ in 0..<40 { b.write(random.bytes32(), size: 3) }
        for hash in shared.prefix(20) { b.write(hash, size: 4) }                // b edits
        for hash in shared[10..<30] { a.write(hash, size: 5) }                 // a edits, 10 of them concurrently with b
        for hash in shared[100..<110] { b.write(hash, size: 0, deleted: true) } // b deletes

        let firstBytes = try sync(&a, &b)
        XCTAssertEqual(a.document, b.document, "both nodes hold the same winner for every asset")
        XCTAssertEqual(a.document.count, 2070)
        XCTAssertTrue(shared[100..<110].allSatisfy { a.document[$0]!.manifest.deleted }, "tombstones propagate")

        let secondBytes = try sync(&b, &a)
        XCTAssertEqual(a.document, b.document)
        // Frames of 4 + payload: 2 hellos (50), 2 proofs (34), fingerprint (21), empty reply (3), 2 dones (2).
        XCTAssertEqual(secondBytes, 2 * 54 + 2 * 38 + 25 + 7 + 2 * 6, "an in-sync pair exchanges only the handshake and one fingerprint")
        print("2 000-entry library, 100 divergent assets: first sync \(firstBytes) bytes, second \(secondBytes) bytes")
    }
}
