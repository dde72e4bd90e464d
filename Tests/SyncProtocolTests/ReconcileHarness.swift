import Foundation
import XCTest
@testable import SyncProtocol

/// Runs two reconcilers against each other through the wire encoding, as the sync engine
/// would over a stream, and records what crossed the wire.
struct ReconcileHarness {
    var initiator: Reconciler
    var responder: Reconciler
    var bytesSent = 0
    var messages = 0
    var largestMessage = 0
    var encodedMessages: [[UInt8]] = []

    init(_ a: [ReconcileItem], _ b: [ReconcileItem], configuration: Reconciler.Configuration = .init(),
         responderConfiguration: Reconciler.Configuration? = nil) throws {
        initiator = Reconciler(set: try ReconcileSet(a), configuration: configuration)
        responder = Reconciler(set: try ReconcileSet(b), configuration: responderConfiguration ?? configuration)
    }

    /// Drives the exchange to the end; fails if it takes more than `maxMessages`.
    mutating func run(maxMessages: Int = 200) throws {
        var wire = record(initiator.initialMessage())
        var initiatorTurn = false
        while true {
            XCTAssertLessThanOrEqual(messages, maxMessages, "reconciliation did not finish")
            if messages > maxMessages { return }
            let message = try ReconcileMessage(decoding: wire)
            let reply = initiatorTurn ? try initiator.respond(to: message) : try responder.respond(to: message)
            guard let reply else { break }
            wire = record(reply)
            initiatorTurn.toggle()
            if !reply.expectsResponse {
                _ = initiatorTurn ? try initiator.respond(to: ReconcileMessage(decoding: wire))
                                  : try responder.respond(to: ReconcileMessage(decoding: wire))
                break
            }
        }
    }

    private mutating func record(_ message: ReconcileMessage) -> [UInt8] {
        let bytes = message.encoded()
        bytesSent += bytes.count
        messages += 1
        largestMessage = max(largestMessage, bytes.count)
        encodedMessages.append(bytes)
        return bytes
    }

    /// Asserts both sides learned exactly the differences between `a` and `b`.
    func assertExactDifferences(_ a: [ReconcileItem], _ b: [ReconcileItem], file: StaticString = #filePath, line: UInt = #line) {
        let mapA = Dictionary(uniqueKeysWithValues: a.map { ($0.key, $0.value) })
        let mapB = Dictionary(uniqueKeysWithValues: b.map { ($0.key, $0.value) })
        let aMustSend = Set(a.filter { mapB[$0.key] != $0.value }.map(\.key))
        let bMustSend = Set(b.filter { mapA[$0.key] != $0.value }.map(\.key))
        XCTAssertTrue(initiator.isComplete, "initiator not complete", file: file, line: line)
        XCTAssertTrue(responder.isComplete, "responder not complete", file: file, line: line)
        XCTAssertEqual(initiator.sendKeys, aMustSend, "initiator sendKeys", file: file, line: line)
        XCTAssertEqual(initiator.needKeys, bMustSend, "initiator needKeys", file: file, line: line)
        XCTAssertEqual(responder.sendKeys, bMustSend, "responder sendKeys", file: file, line: line)
        XCTAssertEqual(responder.needKeys, aMustSend, "responder needKeys", file: file, line: line)
    }
}

extension SeededGenerator {
    mutating func items(_ count: Int) -> [ReconcileItem] {
        (0..<count).map { _ in ReconcileItem(key: bytes32(), value: bytes32()) }
    }
}
