import Foundation
import SyncNode
import TestSupport
import XCTest

/// The node key: created once with mode 0600, then reused.
final class NodeIdentityTests: XCTestCase {
    func testCreatedOnceAndReused() throws {
        let directory = try TemporaryDirectory()
        let dataDirectory = directory.file("data").path
        let first = try NodeIdentity.loadOrCreate(in: dataDirectory)
        let keyPath = directory.file("data/node.key").path
        let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let second = try NodeIdentity.loadOrCreate(in: dataDirectory)
        XCTAssertEqual(first.nodeID, second.nodeID)
        XCTAssertEqual(first.secretKey, second.secretKey)
        XCTAssertEqual(Array(first.secretKey.suffix(32)), first.nodeID.bytes, "libsodium's secret key ends with the public key")
        let other = try NodeIdentity.loadOrCreate(in: directory.file("other").path)
        XCTAssertNotEqual(first.nodeID, other.nodeID)
    }

    func testCorruptKeyFileIsReportedNotReplaced() throws {
        let directory = try TemporaryDirectory()
        try "garbage".write(to: directory.file("node.key"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try NodeIdentity.loadOrCreate(in: directory.path)) { error in
            XCTAssertTrue("\(error)".contains("is not a node key"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOf: directory.file("node.key"), encoding: .utf8), "garbage")
    }
}
