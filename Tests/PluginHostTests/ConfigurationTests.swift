import PluginHost
import SyncNode
import TestSupport
import XCTest
import YAMLTree

/// config.yaml and plugins.yaml: defaults, and errors that name the file, the line and the key.
final class ConfigurationTests: XCTestCase {
    func testEmptyFileGivesTheDefaults() throws {
        let config = try NodeConfiguration.parse("", file: "/etc/can/config.yaml")
        XCTAssertEqual(config.canServiceURL, "http://127.0.0.1:3210/api/v1/can/0")
        XCTAssertEqual(config.listenAddress, HostPort(host: "127.0.0.1", port: 3213))
        XCTAssertEqual(config.dataDirectory, "/etc/can/can_sync_data")
        XCTAssertNil(config.relayURL)
        XCTAssertEqual(config.pollIntervalSeconds, 5)
        XCTAssertEqual(config.fullScanIntervalSeconds, 300)
        XCTAssertNil(config.syncPassphrase)
        XCTAssertEqual(config.pluginsFile, "/etc/can/plugins.yaml")
        XCTAssertFalse(config.bundledCANService)
    }

    func testPathsInAConfigNamedRelativelyResolveAgainstItsDirectory() throws {
        let cwd = FileManager.default.currentDirectoryPath
        let parent = URL(fileURLWithPath: cwd).deletingLastPathComponent().path
        let config = try NodeConfiguration.parse("plugins_file: \"../shared-plugins.yaml\"\ndata_dir: \"./data\"\n",
                                                 file: "config.yaml")
        XCTAssertEqual(config.pluginsFile, (parent as NSString).appendingPathComponent("shared-plugins.yaml"))
        XCTAssertEqual(config.dataDirectory, (cwd as NSString).appendingPathComponent("data"))
    }

    func testTheShippedConfigParses() throws {
        let path = BuildProducts.packageRoot.appendingPathComponent("config.yaml").path
        let config = try NodeConfiguration.load(file: path)
        XCTAssertTrue(config.bundledCANService)
        XCTAssertEqual(config.listenAddress.port, 3213)
    }

    func testReferenceMachineBConfig() throws {
        let config = try NodeConfiguration.parse("""
            can_service_url: "http://127.0.0.1:3220/api/v1/can/0"
            listen_addr: "127.0.0.1:3223"
            data_dir: "./can_sync_data_b"
            """, file: "/srv/machine-b-config.yaml")
        XCTAssertEqual(config.canServiceURL, "http://127.0.0.1:3220/api/v1/can/0")
        XCTAssertEqual(config.listenAddress.port, 3223)
        XCTAssertEqual(config.dataDirectory, "/srv/can_sync_data_b")
    }

    func testUnknownKeyNamesFileLineAndKey() {
        XCTAssertThrowsError(try NodeConfiguration.parse("listen_addr: \"127.0.0.1:1\"\npoll_intervall_secs: 3\n", file: "my.yaml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("my.yaml:2: poll_intervall_secs: unknown key (known keys: can_service_url,"), "\(error)")
        }
    }

    func testWrongTypesAndBadValues() {
        let cases: [(String, String)] = [
            ("poll_interval_secs: soon", "c.yaml:1: poll_interval_secs: expected a whole number, found 'soon'"),
            ("poll_interval_secs: 0", "c.yaml:1: poll_interval_secs: 0 is out of range (1...86400)"),
            ("\n\nfull_scan_interval_secs: [1, 2]", "c.yaml:3: full_scan_interval_secs: expected a whole number, found a list"),
            ("listen_addr: localhost", "c.yaml:1: listen_addr: 'localhost' is not host:port (e.g. 127.0.0.1:3213)"),
            ("can_service_url: ftp://x/y", "c.yaml:1: can_service_url: 'ftp://x/y' is not an http(s) URL (e.g. http://127.0.0.1:3210/api/v1/can/0)"),
            ("bundled_can_service: yes please", "c.yaml:1: bundled_can_service: expected true or false, found 'yes please'"),
            ("data_dir: {a: 1}", "c.yaml:1: data_dir: expected text, found a mapping"),
            ("listen_addr: [unclosed", "c.yaml:2: invalid YAML: did not find expected ',' or ']'"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try NodeConfiguration.parse(text, file: "c.yaml"), text) { error in
                XCTAssertEqual("\(error)", message, text)
            }
        }
    }

    func testPluginsManifest() throws {
        let directory = try TemporaryDirectory()
        let manifest = try PluginManifest.parse("""
            plugins:
              - path: libA.so
                settings:
                  bind: "0.0.0.0:0"
                  relays: [http://127.0.0.1:1, "x"]
                  retries: 3
                  verbose: true
                  nothing: ~
              - path: /abs/libB.so
                enabled: false
                required: true
            """, file: directory.file("plugins.yaml").path, executableDirectory: "/opt/can/bin")
        XCTAssertEqual(manifest.entries.count, 2)
        XCTAssertEqual(manifest.entries[0].resolvedPath, "/opt/can/bin/libA.so")
        XCTAssertEqual(manifest.entries[0].settingsJSON,
                       #"{"bind":"0.0.0.0:0","relays":["http://127.0.0.1:1","x"],"retries":3,"verbose":true,"nothing":null}"#)
        XCTAssertTrue(manifest.entries[0].enabled)
        XCTAssertFalse(manifest.entries[0].required)
        XCTAssertEqual(manifest.entries[1].resolvedPath, "/abs/libB.so")
        XCTAssertFalse(manifest.entries[1].enabled)
        XCTAssertEqual(manifest.entries[1].line, 9)
    }

    func testPluginsManifestErrors() {
        let cases: [(String, String)] = [
            ("plugin: []", "p.yaml:1: plugin: unknown key (known keys: plugins)"),
            ("plugins:\n  - enabled: true", "p.yaml:2: plugins[0].path: missing: the plugin's .so file"),
            ("plugins:\n  - path: a.so\n    enable: false", "p.yaml:3: plugins[0].enable: unknown key (known keys: path, enabled, required, settings)"),
            ("plugins:\n  - path: a.so\n    settings: [1]", "p.yaml:3: plugins[0].settings: expected a mapping, found a list"),
            ("plugins:\n  - path: a.so\n    required: maybe", "p.yaml:3: plugins[0].required: expected true or false, found 'maybe'"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try PluginManifest.parse(text, file: "p.yaml", executableDirectory: "/x"), text) { error in
                XCTAssertEqual("\(error)", message, text)
            }
        }
    }
}
