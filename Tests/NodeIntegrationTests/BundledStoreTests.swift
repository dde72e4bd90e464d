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

    /// The shipped plugins.yaml as it is, with the shipped config.yaml moved to free ports: every plugin it
    /// enables loads from the executable's directory and is listed by /status.
    func testShippedPluginsFileLoadsEveryPlugin() async throws {
        let root = BuildProducts.packageRoot
        let shippedPlugins = try String(contentsOf: root.appendingPathComponent("plugins.yaml"), encoding: .utf8)
        let shippedConfig = try String(contentsOf: root.appendingPathComponent("config.yaml"), encoding: .utf8)
        let node = try NodeProcess(label: "shipped", pluginsYAML: shippedPlugins, bundledStore: true)
        let (apiPort, storeURL) = (node.apiPort, node.storeURL)
        let config = shippedConfig.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.hasPrefix("listen_addr:") { return "listen_addr: \"127.0.0.1:\(apiPort)\"" }
            if line.hasPrefix("can_service_url:") { return "can_service_url: \"\(storeURL)\"" }
            return String(line)
        }.joined(separator: "\n")
        try config.write(toFile: node.configPath, atomically: true, encoding: .utf8)
        try await node.start()
        defer { node.stop() }

        let status = try await TestHTTP.get("\(node.apiURL)/status").data as? [String: Any]
        XCTAssertFalse((status?["version"] as? String ?? "").isEmpty)
        let plugins = status?["plugins"] as? [[String: Any]] ?? []
        let shippedPaths = shippedPlugins.split(separator: "\n").compactMap { line -> String? in
            let text = line.trimmingCharacters(in: .whitespaces)
            return text.hasPrefix("- path:") ? text.dropFirst("- path:".count).trimmingCharacters(in: .whitespaces) : nil
        }
        XCTAssertEqual(shippedPaths.count, 5, shippedPlugins)
        XCTAssertEqual(plugins.compactMap { ($0["path"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } }.sorted(),
                       shippedPaths.sorted(), "\(plugins)")
        for plugin in plugins {
            XCTAssertEqual((plugin["path"] as? String).map { URL(fileURLWithPath: $0).deletingLastPathComponent().standardizedFileURL.path },
                           BuildProducts.binDirectory.standardizedFileURL.path, "resolved against the executable's directory")
            XCTAssertFalse((plugin["name"] as? String ?? "").isEmpty)
            XCTAssertFalse((plugin["version"] as? String ?? "").isEmpty)
        }
        XCTAssertEqual(plugins.compactMap { $0["kind"] as? String }.sorted(),
                       ["discovery", "discovery", "discovery", "filter", "transport"])
    }
}
