import Foundation
import XCTest
@testable import SyncProtocol

final class ReconcilerTests: XCTestCase {
    func testIdenticalSetsCostOneRoundTripWithTinyMessages() throws {
        var random = SeededGenerator(seed: 1)
        let items = random.items(5000)
        var harness = try ReconcileHarness(items, items)
        try harness.run()
        harness.assertExactDifferences(items, items)
        XCTAssertEqual(harness.messages, 2)
        XCTAssertEqual(harness.encodedMessages.map(\.count), [19, 1], "one whole-set fingerprint, one empty reply")
    }

    func testBothEmpty() throws {
        var harness = try ReconcileHarness([], [])
        try harness.run()
        harness.assertExactDifferences([], [])
        XCTAssertEqual(harness.messages, 2)
        XCTAssertEqual(harness.encodedMessages, [[1, 2, 0xff, 0], [1]])
    }

    func testOneSideEmpty() throws {
        var random = SeededGenerator(seed: 2)
        let items = random.items(20_000)
        for (a, b) in [(items, []), ([], items)] {
            var harness = try ReconcileHarness(a, b)
            try harness.run()
            harness.assertExactDifferences(a, b)
            print("one side empty, 20 000 items: \(harness.messages) messages, \(harness.bytesSent) bytes")
        }
    }

    func testSmallSetsReconcileInOneRoundTripOfItemLists() throws {
        var random = SeededGenerator(seed: 3)
        let shared = random.items(5)
        let a = shared + random.items(3)
        let b = shared + random.items(2)
        var harness = try ReconcileHarness(a, b)
        try harness.run()
        harness.assertExactDifferences(a, b)
        XCTAssertEqual(harness.messages, 2)
    }

    func testRandomSetsAgreeExactly() throws {
        for seed in UInt64(1)...40 {
            var random = SeededGenerator(seed: seed)
            let shared = random.items(Int(random.next() % 3000))
            var a = shared + random.items(Int(random.next() % 200))
            var b = shared + random.items(Int(random.next() % 200))
            // Change some shared values on one side.
            for _ in 0..<Int(random.next() % 50) where !b.isEmpty {
                let index = Int(random.next() % UInt64(b.count))
                b[index].value = random.bytes32()
            }
            a.shuffle(using: &random)
            let configuration = Reconciler.Configuration(
                branching: 2 + Int(random.next() % 15), itemThreshold: 1 + Int(random.next() % 32),
                maxReplyItems: 32 + Int(random.next() % 100), maxMessageBytes: 1024 + Int(random.next() % 8192))
            var harness = try ReconcileHarness(a, b, configuration: configuration, responderConfiguration: .init())
            try harness.run(maxMessages: 400)
            harness.assertExactDifferences(a, b)
        }
    }

    func testKeysSharingLongPrefixesStillSeparate() throws {
        // Keys that differ only in their last byte force 32-byte bounds.
        let base = Fixtures.repeated(0x77)
        let a = (0..<200).map { ReconcileItem(key: base.with(byte: 31, UInt8($0)), value: Fixtures.repeated(1)) }
        let b = a.filter { $0.key[31] % 7 != 0 }
        var harness = try ReconcileHarness(a, b, configuration: .init(branching: 4, itemThreshold: 2, maxReplyItems: 2))
        try harness.run()
        harness.assertExactDifferences(a, b)
    }

    func testMessageBudgetBoundsEveryMessage() throws {
        var random = SeededGenerator(seed: 4)
        let items = random.items(30_000)
        let budget = 16 * 1024
        let configuration = Reconciler.Configuration(maxMessageBytes: budget)
        var harness = try ReconcileHarness([], items, configuration: configuration)
        try harness.run(maxMessages: 2000)
        harness.assertExactDifferences([], items)
        // A message may overshoot by the one part that crossed the budget (at most maxReplyItems items).
        XCTAssertLessThanOrEqual(harness.largestMessage, budget + configuration.maxReplyItems * 64 + 128)
        print("budget \(budget) B, 30 000 items vs empty: \(harness.messages) messages, largest \(harness.largestMessage) B, total \(harness.bytesSent) B")
    }

    /// The required measurement: 100 000 items per side, 50 only on each side and 50 with
    /// different values.
    func testHundredThousandItemsDifferingInHundred() throws {
        var random = SeededGenerator(seed: 100)
        let shared = random.items(99_950)
        let onlyA = random.items(50)
        let onlyB = random.items(50)
        var b = shared + onlyB
        for index in stride(from: 0, to: 99_950, by: 1999).prefix(50) {
            b[index].value = random.bytes32()
        }
        let a = shared + onlyA
        XCTAssertEqual(a.count, 100_000)
        XCTAssertEqual(b.count, 100_000)

        let buildStart = Date()
        var harness = try ReconcileHarness(a, b)
        let buildSeconds = Date().timeIntervalSince(buildStart)
        let runStart = Date()
        try harness.run()
        let runSeconds = Date().timeIntervalSince(runStart)
        harness.assertExactDifferences(a, b)
        XCTAssertEqual(harness.initiator.sendKeys.count, 100)
        XCTAssertEqual(harness.initiator.needKeys.count, 100)
        XCTAssertLessThan(harness.bytesSent, 1_000_000)
        print(String(format: "100k vs 100k, 150 differing keys: %d messages (%d round trips), %d bytes total, largest message %d bytes; "
                     + "building both sets %.3f s, reconciling %.3f s",
                     harness.messages, (harness.messages + 1) / 2, harness.bytesSent, harness.largestMessage, buildSeconds, runSeconds))
        print("message sizes in order: \(harness.encodedMessages.map(\.count))")

        let identical = Date()
        var same = try ReconcileHarness(a, a)
        try same.run()
        same.assertExactDifferences(a, a)
        XCTAssertEqual(same.messages, 2)
        print(String(format: "100k identical: %d messages, %d bytes, %.3f s including set building",
                     same.messages, same.bytesSent, Date().timeIntervalSince(identical)))
    }

    func testHundredThousandAgainstEmptyFitsTheFrameLimit() throws {
        var random = SeededGenerator(seed: 101)
        let items = random.items(100_000)
        let start = Date()
        var harness = try ReconcileHarness([], items)
        try harness.run(maxMessages: 500)
        harness.assertExactDifferences([], items)
        XCTAssertLessThan(harness.largestMessage, SyncMessage.maxPayloadBytes - 16)
        print(String(format: "100k vs empty: %d messages, %d bytes total (%.1f per item), largest %d bytes, %.3f s",
                     harness.messages, harness.bytesSent, Double(harness.bytesSent) / 100_000, harness.largestMessage,
                     Date().timeIntervalSince(start)))
    }

    func testDuplicateKeysAreRejected() {
        let item = ReconcileItem(key: Fixtures.repeated(1), value: Fixtures.repeated(2))
        XCTAssertThrowsError(try ReconcileSet([item, ReconcileItem(key: item.key, value: Fixtures.repeated(3))])) { error in
            XCTAssertTrue("\(error)".contains(item.key.hex))
        }
    }

    func testReplyThatDoesNotMatchWhatWasSentIsAnError() throws {
        var random = SeededGenerator(seed: 5)
        var reconciler = Reconciler(set: try ReconcileSet(random.items(3)))
        _ = reconciler.initialMessage()
        let bogus = ReconcileMessage(parts: [.itemsReply(upper: .infinity, items: [], wanted: [true])])
        XCTAssertThrowsError(try reconciler.respond(to: bogus)) { error in
            XCTAssertEqual("\(error)", "set reconciliation failed: the peer's reply covers 1 items where this side sent 3; abort this sync session and start a new one")
        }
    }

    func testMessageAfterCompletionIsAnError() throws {
        var reconciler = Reconciler(set: try ReconcileSet([]))
        XCTAssertNil(try reconciler.respond(to: ReconcileMessage(parts: [])))
        XCTAssertTrue(reconciler.isComplete)
        XCTAssertThrowsError(try reconciler.respond(to: ReconcileMessage(parts: [])))
    }

    /// Cross-checked with a Python model (hashlib.blake2b, integer sum mod 2^256).
    func testFingerprintVectors() throws {
        XCTAssertEqual(try ReconcileSet([]).fingerprint.description, "4a1931803561f431decab002e7425f0a")
        let one = ReconcileItem(key: Fixtures.counting(from: 0), value: Fixtures.counting(from: 32))
        let two = ReconcileItem(key: Fixtures.repeated(0xff), value: Fixtures.repeated(0))
        XCTAssertEqual(try ReconcileSet([one]).fingerprint.description, "faea4f13a297d35b23f68c5b9b87584c")
        XCTAssertEqual(try ReconcileSet([one, two]).fingerprint, try ReconcileSet([two, one]).fingerprint)
        XCTAssertEqual(try ReconcileSet([one, two]).fingerprint.description, "8e33ac3cefb6b92f18d287595526429d")
        let set = try ReconcileSet([one, two])
        XCTAssertEqual(set.fingerprint(1..<2), try ReconcileSet([two]).fingerprint, "range fingerprints come from prefix sums")
    }
}
