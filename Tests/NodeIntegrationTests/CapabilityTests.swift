import Foundation
import PluginHost
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

        // The intruder above runs honest code, which gives up by itself as soon as a's proof fails
        // to verify, so it never tests a's own checks. What follows does, from a's side.
        let intruderID = try await intruder.nodeID()
        let aPeers = try await a.peers()
        let intruderOnA = try XCTUnwrap(aPeers[intruderID], "a's GET /peers should list the intruder: \(aPeers)")
        XCTAssertEqual(intruderOnA.libraries, [], "a must share no library with the intruder")

        // A peer that knows the library id and skips every check of its own: it takes a's proof
        // unverified, answers with a proof made from a guessed secret and asks for every entry, on a
        // stream it opens and on the one a opens to it; then it asks for the asset's bytes.
        let attack = try await DishonestPeer.attack(a, ticket: real, asset: hash, guessedSecret: forged.secret)
        XCTAssertTrue(attack.opened.sawNodeProof, "a should answer the hello with its hello and proof: \(attack.opened)")
        XCTAssertEqual(attack.opened.refusal?.code, .authenticationFailed,
                       "a must refuse a forged proof on a stream the peer opens: \(attack.opened)\n\(a.logTail())")
        let accepted = try XCTUnwrap(attack.accepted, "a opens a sync stream for its library on every new connection")
        XCTAssertEqual(accepted.refusal?.code, .authenticationFailed,
                       "a must refuse a forged proof on a stream it opens: \(accepted)\n\(a.logTail())")
        for session in [attack.opened, accepted] {
            XCTAssertEqual(session.entries, 0, "a served entries to a peer without the secret: \(session)")
            XCTAssertFalse(session.sawReconcile, "a reconciled with a peer without the secret: \(session)")
        }
        let listing = try XCTUnwrap(attack.listing, "a's GET /peers should list the connected peer")
        XCTAssertTrue(listing.isConnected, "\(listing)")
        XCTAssertEqual(listing.libraries, [], "a listed a library as shared with a peer that never proved the secret")
        XCTAssertEqual(attack.blob.status, 2, "a must refuse (forbidden) a blob request without a proven session: \(attack.blob)")
        XCTAssertFalse(attack.blob.bytes.contains(Array("secret stuff".utf8)), "a sent the asset's bytes: \(attack.blob)")
        let after = try await TestHTTP.get("\(intruder.apiURL)/libraries/\(library)").data as? [String: Any]
        XCTAssertEqual(after?["entry_count"] as? Int, 0, "still nothing reached the intruder")
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

/// A raw peer (the QUIC plugin loaded with PluginHost and driven through `PeerTransport`, no node
/// code) that knows a library's id but not its secret, and cheats: it never verifies the other
/// side's proof, sends its own proof made from a guessed secret, and then asks for everything.
/// Only the attacked node's checks stand between it and the library.
enum DishonestPeer {
    struct Session: CustomStringConvertible {
        var sawNodeProof = false
        var sawReconcile = false
        var entries = 0
        var refusal: SyncFailure?
        var received: [String] = []
        var end = "open"
        var description: String { "received \(received), refusal \(refusal.map(\.description) ?? "none"), stream \(end)" }
    }

    struct Blob: CustomStringConvertible {
        var status: UInt8?
        var bytes: [UInt8]
        var end: String
        var description: String {
            "status \(status.map(String.init) ?? "none"), \(bytes.count) bytes (\(String(decoding: bytes.dropFirst(3), as: UTF8.self))), \(end)"
        }
    }

    struct Outcome {
        /// The sync stream this peer opened (it is the initiator).
        var opened: Session
        /// The sync stream the node opened to this peer, if it did.
        var accepted: Session?
        /// The node's `GET /peers` entry for this peer, read while both streams were still open.
        var listing: PeerEntry?
        var blob: Blob
    }

    static let syncProtocol = "can-sync/sync/1"
    static let blobProtocol = "can-sync/blobs/1"

    static func attack(_ node: NodeProcess, ticket: LibraryTicket, asset: String, guessedSecret: LibrarySecret,
                       window: TimeInterval = 3) async throws -> Outcome {
        let identity = SigningKey.generate()
        let me = identity.publicKey
        let transport = try startTransport(secretKey: identity.seed.bytes + me.bytes)
        defer { transport.shutdown() }
        // The node opens a sync stream for its library on every new connection: keep the first one
        // (the handler is in place before the dial, so it cannot be missed).
        let (incoming, incomingSink) = AsyncStream.makeStream(of: PeerStream.self)
        transport.handle(protocol: syncProtocol) { incomingSink.yield($0) }
        let connection = try await transport.connect(to: NodeID(bytes: ticket.nodeID.bytes), addresses: ticket.addresses)
        let guessed = LibraryKeys(secret: guessedSecret)
        let library = ticket.libraryID

        let acceptedTask = Task { () throws -> (Session, PeerStream)? in
            guard let stream = await first(of: incoming, within: 10) else { return nil }
            return (try await run(on: stream, opening: nil, me: me, node: ticket.nodeID, keys: guessed, window: window), stream)
        }
        let openedStream = try await connection.openStream(protocol: syncProtocol)
        let opened = try await run(on: openedStream, opening: library, me: me, node: ticket.nodeID, keys: guessed, window: window)
        let accepted = try await acceptedTask.value
        let listing = try await node.peers()[me.hex]

        let blobStream = try await connection.openStream(protocol: blobProtocol)
        var request: [UInt8] = [1] + library.bytes + (try XCTUnwrap(Bytes32(hex: asset))).bytes
        request += withUnsafeBytes(of: UInt64(0).bigEndian) { Array($0) }
        try await blobStream.write(request)
        try blobStream.finish()
        let (bytes, end) = try await readToEnd(blobStream, timeout: 10)
        openedStream.reset(code: 0)
        accepted?.1.reset(code: 0)
        incomingSink.finish()
        return Outcome(opened: opened, accepted: accepted?.0, listing: listing,
                       blob: Blob(status: bytes.first, bytes: bytes, end: "\(end)"))
    }

    /// The built QUIC plugin, loaded and started on a free loopback port with this identity
    /// (libsodium's 64-byte secret key: seed ‖ public key).
    static func startTransport(secretKey: [UInt8]) throws -> PeerTransport {
        let plugin = try PluginLoader.load(path: BuildProducts.plugin("QuicTransport"))
        let identity = NodeIdentityView(nodeID: NodeID(bytes: Array(secretKey[32..<64])), secretKey: secretKey,
                                        syncPassphrase: "", dataDirectory: FileManager.default.temporaryDirectory.path)
        let instance = try PluginInstance(plugin: plugin, settingsJSON: #"{"bind": "127.0.0.1:0"}"#, identity: identity) { _, level, message in
            if level.rawValue >= 2 { print("[dishonest peer quic \(level.rawValue)] \(message)") }
        }
        let transport = try PeerTransport(instance)
        do {
            try transport.start()
        } catch {
            transport.shutdown()
            throw error
        }
        return transport
    }

    /// The first stream `streams` yields within `timeout`, or nil.
    static func first(of streams: AsyncStream<PeerStream>, within timeout: TimeInterval) async -> PeerStream? {
        await withTaskGroup(of: PeerStream?.self) { group in
            group.addTask {
                var iterator = streams.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// What one read brought: bytes, the end of the stream (finished, reset, or its connection
    /// gone), or nothing before the deadline.
    enum ReadResult: CustomStringConvertible {
        case bytes([UInt8])
        case ended(String)
        case timedOut

        var description: String {
            switch self {
            case .bytes(let bytes): "\(bytes.count) bytes"
            case .ended(let how): how
            case .timedOut: "timed out"
            }
        }
    }

    /// One `PeerStream.read()`, given up (the stream stays usable) at `deadline`.
    private static func read(_ stream: PeerStream, until deadline: Date) async -> ReadResult {
        await withTaskGroup(of: ReadResult.self) { group in
            group.addTask {
                do {
                    return try await stream.read().map(ReadResult.bytes) ?? .ended("finished")
                } catch is CancellationError {
                    return .timedOut
                } catch {
                    return .ended("\(error)")
                }
            }
            group.addTask {
                let wait = max(0, deadline.timeIntervalSinceNow)
                try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
                return .timedOut
            }
            var result = await group.next()!
            group.cancelAll()
            // A read that completed as the deadline passed still counts.
            for await other in group {
                if case .timedOut = result { result = other }
            }
            return result
        }
    }

    /// Everything until the node finishes or resets the stream, or `timeout` passes.
    private static func readToEnd(_ stream: PeerStream, timeout: TimeInterval) async throws -> (bytes: [UInt8], end: ReadResult) {
        let deadline = Date().addingTimeInterval(timeout)
        var all: [UInt8] = []
        while true {
            let result = await read(stream, until: deadline)
            switch result {
            case .bytes(let bytes): all += bytes
            case .ended, .timedOut: return (all, result)
            }
        }
    }

    /// Plays one side of a sync stream without checking anything, until the node ends the
    /// stream or `window` passes (the stream is left open).
    static func run(on stream: PeerStream, opening library: UUID?, me: PublicKey, node: PublicKey,
                            keys: LibraryKeys, window: TimeInterval) async throws -> Session {
        var session = Session()
        let nonce = Bytes32.random()
        var remoteNonce: Bytes32?
        var libraryID = library
        var reconciler = Reconciler(set: try ReconcileSet([]))
        var decoder = SyncFrameDecoder()
        func send(_ messages: SyncMessage...) async throws {
            for message in messages { try await stream.write(try message.encodedFrame()) }
        }
        func proof() -> SyncMessage {
            .proof(CapabilityChallenge(libraryID: libraryID!, localNode: me, remoteNode: node, localNonce: nonce)
                .proof(keys: keys, remoteNonce: remoteNonce!))
        }
        if let library { try await send(.hello(SyncHello(libraryID: library, nonce: nonce))) }
        let deadline = Date().addingTimeInterval(window)
        while Date() < deadline {
            let chunk: [UInt8]
            switch await read(stream, until: deadline) {
            case .bytes(let bytes): chunk = bytes
            case .ended(let how):
                session.end = how
                return session
            case .timedOut:
                return session
            }
            decoder.append(chunk)
            while let message = try decoder.next() {
                session.received.append(name(message))
                switch message {
                case .hello(let hello):
                    remoteNonce = hello.nonce
                    libraryID = hello.libraryID
                    if library == nil {
                        try await send(.hello(SyncHello(libraryID: hello.libraryID, nonce: nonce)), proof())
                    }
                case .proof:
                    // Not verified: this peer only wants in.
                    session.sawNodeProof = true
                    if library != nil { try await send(proof(), .reconcile(reconciler.initialMessage())) }
                case .reconcile(let incoming):
                    session.sawReconcile = true
                    if let reply = try? reconciler.respond(to: incoming) { try await send(.reconcile(reply)) }
                case .entries(let entries):
                    session.entries += entries.count
                case .entryPush:
                    session.entries += 1
                case .done:
                    break
                case .error(let failure):
                    session.refusal = failure
                }
            }
        }
        return session
    }

    private static func name(_ message: SyncMessage) -> String {
        switch message {
        case .hello: "hello"
        case .proof: "proof"
        case .reconcile: "reconcile"
        case .entries(let entries): "entries(\(entries.count))"
        case .entryPush: "entry push"
        case .done: "done"
        case .error(let failure): "error(\(failure.code.rawValue))"
        }
    }
}
