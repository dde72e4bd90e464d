@testable import CANStore
import Foundation
import Logging
import TestSupport
import XCTest

/// The sweep that removes partial uploads untouched for a week, at start-up and while the store runs.
final class PartialUploadSweepTests: XCTestCase {
    func testTheSweepRemovesWeekOldUploadsButNotFreshOrBusyOnes() async throws {
        let root = try TemporaryDirectory("partial-sweep")
        let uploads = try PartialUploads(root: root.url, logger: Logger(label: "test"))
        let (old, fresh, busy) = (String(repeating: "a", count: 64), String(repeating: "b", count: 64),
                                  String(repeating: "c", count: 64))
        let eightDaysAgo = Date().addingTimeInterval(-8 * 24 * 3600)
        for hash in [old, fresh, busy] {
            XCTAssertTrue(FileManager.default.createFile(atPath: uploads.path(hash), contents: Data("bytes".utf8)))
        }
        for hash in [old, busy] {
            try FileManager.default.setAttributes([.modificationDate: eightDaysAgo], ofItemAtPath: uploads.path(hash))
        }

        let removed = try await uploads.exclusively(busy) { uploads.removeStale() }
        XCTAssertEqual(removed, 1, "only the week-old upload no request is working on")
        XCTAssertNil(uploads.size(old))
        XCTAssertEqual(uploads.size(fresh), 5)
        XCTAssertEqual(uploads.size(busy), 5, "a request is working on it")

        XCTAssertEqual(uploads.removeStale(), 1, "once the request has ended, the week-old upload goes too")
        XCTAssertNil(uploads.size(busy))
        XCTAssertEqual(uploads.size(fresh), 5)
    }
}
