import Foundation
import PluginHost
@testable import SyncNode
import XCTest

/// The fetcher's order of providers: failures push a peer back, and the push fades with time.
final class ProviderPenaltiesTests: XCTestCase {
    private let a = NodeID(bytes: Array(repeating: 1, count: 32))
    private let b = NodeID(bytes: Array(repeating: 2, count: 32))
    private let start = Date(timeIntervalSince1970: 1_000_000)

    func testCorruptBytesPushAPeerBehindOneThatFailedOnce() {
        var penalties = ProviderPenalties()
        XCTAssertEqual(penalties.ordered([a, b], at: start), [a, b], "without failures the order stays as given")
        penalties.add(ProviderPenalties.corruption, to: a, at: start)
        penalties.add(ProviderPenalties.failure, to: b, at: start)
        XCTAssertEqual(penalties.ordered([a, b], at: start), [b, a])
    }

    func testPenaltiesHalveEachHalfLife() {
        var penalties = ProviderPenalties()
        penalties.add(ProviderPenalties.corruption, to: a, at: start)
        XCTAssertEqual(penalties.penalty(a, at: start), 10, accuracy: 1e-9)
        XCTAssertEqual(penalties.penalty(a, at: start + ProviderPenalties.halfLife), 5, accuracy: 1e-9)
        XCTAssertEqual(penalties.penalty(a, at: start + 3 * ProviderPenalties.halfLife), 1.25, accuracy: 1e-9)
        // A new failure adds to what is left, not to the original value.
        penalties.add(ProviderPenalties.failure, to: a, at: start + ProviderPenalties.halfLife)
        XCTAssertEqual(penalties.penalty(a, at: start + ProviderPenalties.halfLife), 6, accuracy: 1e-9)
    }

    func testAPeerThatCorruptedBytesLongAgoComesFirstAgainAfterAnotherFailsNow() {
        var penalties = ProviderPenalties()
        penalties.add(ProviderPenalties.corruption, to: a, at: start)
        let later = start + 5 * ProviderPenalties.halfLife
        penalties.add(ProviderPenalties.failure, to: b, at: later)
        XCTAssertEqual(penalties.ordered([b, a], at: later), [a, b],
                       "a's penalty has faded to \(penalties.penalty(a, at: later)), b's is \(penalties.penalty(b, at: later))")
    }
}
