import Foundation
import TestSupport
import XCTest

/// The shipped config.yaml runs a complete node: the bundled store serves the contract and the
/// announcer sees what is ingested into it.
final class BundledStoreTests: XCTestCase {
    func testShippedConfigRunsANodeWithItsOwnStore() async throws {
        let shipped = try String(contentsOf: BuildProducts.packageRoot.appendingPathComponent("config.yaml"), encoding: .utf8)
        XCTAssertTrue(shipped.contains("bundled_can_service: true"))
        let node = try NodeProcess(label: "bundled", configLines: ["poll_interval_secs: 1"], bundledStore: true)
        try await node.start()
        let health = try await TestHTTP.get("\(node.storeURL)/health")
        XCTAssertEqual(health.status, 200, health.text)
        let library = try await SyncScenario.createLibrary(on: node, name: "all")
        let hash = try await SyncScenario.ingest(Data("bundled".utf8), into: node)["hash"] as! String
        let announced = try await eventually(timeout: 5) {
            let entries = try await TestHTTP.get("\(node.apiURL)/libraries/\(library)/entries").data as? [[String: Any]]
            return entries?.contains { $0["hash"] as? String == hash } ?? false
        }
        XCTAssertTrue(announced)
        let status = try await TestHTTP.get("\(node.apiURL)/status").data as? [String: Any]
        let service = status?["can_service"] as? [String: Any]
        XCTAssertEqual(service?["bundled"] as? Bool, true)
        XCTAssertEqual(service?["reachable"] as? Bool, true)
        XCTAssertEqual(service?["assets"] as? Int, 1)
    }
}
