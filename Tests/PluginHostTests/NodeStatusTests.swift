import Foundation
import TestSupport
import XCTest

/// A real can-sync process: it starts from a config file and reports itself on GET /status.
final class NodeStatusTests: XCTestCase {
    func testStatusListsTheLoadedPlugins() async throws {
        let node = try NodeProcess()
        try await node.start()
        let reply = try await TestHTTP.get("\(node.apiURL)/status")
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.json?["status"] as? String, "success")
        let data = try XCTUnwrap(reply.data as? [String: Any])
        XCTAssertEqual((data["node_id"] as? String)?.count, 64)
        XCTAssertNotNil(data["uptime_secs"] as? Double)
        let plugins = try XCTUnwrap(data["plugins"] as? [[String: Any]])
        XCTAssertEqual(Set(plugins.compactMap { $0["kind"] as? String }), ["transport", "filter"])
        XCTAssertEqual(plugins.first { $0["kind"] as? String == "filter" }?["path"] as? String,
                       BuildProducts.plugin("Filters"))
        XCTAssertEqual(plugins.first { $0["kind"] as? String == "filter" }?["name"] as? String, "filters")

        let missing = try await TestHTTP.get("\(node.apiURL)/nope")
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.json?["status"] as? String, "error")
        XCTAssertEqual(missing.json?["error"] as? String, "no such endpoint: GET /nope")
    }

    func testSameIdentityAfterRestart() async throws {
        let node = try NodeProcess()
        try await node.start()
        let first = try await TestHTTP.get("\(node.apiURL)/status").data as? [String: Any]
        node.stop()
        try await node.start()
        let second = try await TestHTTP.get("\(node.apiURL)/status").data as? [String: Any]
        XCTAssertEqual(first?["node_id"] as? String, second?["node_id"] as? String)
    }

    func testBadConfigStopsTheNodeWithFileLineAndKey() throws {
        let node = try NodeProcess(configLines: ["pol_interval_secs: 5"])
        let child = try ChildProcess(BuildProducts.executable("can-sync"), [node.configPath],
                                     logURL: node.directory.file("bad.log"))
        child.process.waitUntilExit()
        XCTAssertEqual(child.process.terminationStatus, 1)
        XCTAssertTrue(child.output.contains("\(node.configPath):4: pol_interval_secs: unknown key"), child.output)
    }

    func testMissingRequiredPluginStopsTheNodeNamingTheFile() throws {
        let node = try NodeProcess(pluginsYAML: "plugins:\n  - path: /nowhere/libGone.so\n    required: true\n")
        let child = try ChildProcess(BuildProducts.executable("can-sync"), [node.configPath],
                                     logURL: node.directory.file("bad.log"))
        child.process.waitUntilExit()
        XCTAssertEqual(child.process.terminationStatus, 1)
        XCTAssertTrue(child.output.contains("plugin /nowhere/libGone.so: no such file"), child.output)
    }
}
