@testable import SyncNode
import XCTest

/// The fetcher's admission of downloads: a count limit and a memory budget, one download always fitting.
final class DownloadSlotsTests: XCTestCase {
    func testManySmallDownloadsButFewLargeOnes() {
        var slots = DownloadSlots(maxCount: 4, memoryBudget: 3 << 20)
        for index in 0..<4 { XCTAssertTrue(slots.start("small-\(index)", holding: 4096)) }
        XCTAssertFalse(slots.start("small-4", holding: 4096), "the count limit holds")
        XCTAssertEqual(slots.free, 0)

        slots = DownloadSlots(maxCount: 4, memoryBudget: 3 << 20)
        for index in 0..<3 { XCTAssertTrue(slots.start("large-\(index)", holding: 1 << 20)) }
        XCTAssertFalse(slots.start("large-3", holding: 1 << 20), "the memory budget holds")
        XCTAssertFalse(slots.start("large-0", holding: 1), "one download per hash")
        slots.finish("large-1")
        XCTAssertTrue(slots.start("large-3", holding: 1 << 20), "a finished download frees its memory")
        XCTAssertEqual(slots.count, 3)
    }

    func testOneDownloadLargerThanTheBudgetRunsAlone() {
        var slots = DownloadSlots(maxCount: 4, memoryBudget: 1 << 20)
        XCTAssertTrue(slots.start("huge", holding: 8 << 20))
        XCTAssertFalse(slots.start("small", holding: 1))
        slots.finish("huge")
        slots.finish("huge")
        XCTAssertTrue(slots.start("small", holding: 1), "finishing twice frees the memory once")
    }
}
