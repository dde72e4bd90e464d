import PluginHost
import TestSupport
import XCTest

/// Loading real .so files with dlopen, and every documented load failure.
final class PluginLoaderTests: XCTestCase {
    func testEveryBuiltPluginLoadsWithItsKind() throws {
        let expected: [(library: String, kind: PluginKind)] = [
            ("QuicTransport", .transport), ("PkarrDiscovery", .discovery), ("GossipDiscovery", .discovery),
            ("TicketDiscovery", .discovery), ("Filters", .filter),
        ]
        var names = Set<String>()
        for (library, kind) in expected {
            let plugin = try PluginLoader.load(path: BuildProducts.plugin(library))
            XCTAssertEqual(plugin.kind, kind, library)
            XCTAssertFalse(plugin.version.isEmpty, library)
            names.insert(plugin.name)
        }
        XCTAssertEqual(names.count, expected.count, "plugin names must be unique: \(names)")
    }

    func testMissingFileNamesThePath() {
        XCTAssertThrowsError(try PluginLoader.load(path: "/nonexistent/libNope.so")) { error in
            XCTAssertEqual((error as? PluginLoadError)?.path, "/nonexistent/libNope.so")
            XCTAssertTrue("\(error)".contains("no such file"), "\(error)")
        }
    }

    func testNonLibraryFileReportsTheDlopenError() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("libgarbage.so").path
        try "not an ELF file".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PluginLoader.load(path: path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("plugin \(path): dlopen failed:"), text)
        }
    }

    func testMissingEntrySymbolIsNamed() throws {
        let directory = try TemporaryDirectory()
        let path = try CPluginCompiler.compile(
            code: "__attribute__((visibility(\"default\"))) int some_other_symbol(void) { return 1; }\n",
            name: "NoEntry", in: directory)
        XCTAssertThrowsError(try PluginLoader.load(path: path)) { error in
            XCTAssertEqual("\(error)", "plugin \(path): missing entry symbol 'can_sync_plugin_entry' (is it exported with default visibility?)")
        }
    }

    func testWrongABIVersionIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = try CPluginCompiler.compile(code: Self.descriptorSource(abi: "99", kind: "CSYNC_KIND_FILTER"),
                                               name: "WrongABI", in: directory)
        XCTAssertThrowsError(try PluginLoader.load(path: path)) { error in
            XCTAssertEqual("\(error)", "plugin \(path): ABI version mismatch: plugin has 99, host needs 1 (rebuild it against can_sync_plugin.h)")
        }
    }

    func testUnknownKindIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = try CPluginCompiler.compile(
            code: Self.descriptorSource(abi: "CSYNC_PLUGIN_ABI_VERSION", kind: "(csync_plugin_kind)42"),
            name: "OddKind", in: directory)
        XCTAssertThrowsError(try PluginLoader.load(path: path)) { error in
            XCTAssertTrue("\(error)".hasPrefix("plugin \(path): unknown plugin kind 42"), "\(error)")
        }
    }

    func testRequiredPluginFailureStopsLoadingAndOptionalIsSkipped() throws {
        let directory = try TemporaryDirectory()
        let manifestPath = directory.file("plugins.yaml").path
        let text = """
        plugins:
          - path: \(BuildProducts.plugin("Filters"))
            required: true
          - path: libMissingOptional.so
          - path: libMissingRequired.so
            required: true
        """
        let manifest = try PluginManifest.parse(text, file: manifestPath, executableDirectory: directory.path)
        var warnings: [String] = []
        XCTAssertThrowsError(try PluginRegistry.load(manifest: manifest, identity: PluginTestHost.identity,
                                                     log: { _, _, _ in }, warn: { warnings.append($0) })) { error in
            XCTAssertTrue("\(error)".contains("libMissingRequired.so"), "\(error)")
            XCTAssertTrue("\(error)".contains("required by \(manifestPath):5"), "\(error)")
        }
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings.first?.contains("\(manifestPath):4: plugin \(directory.path)/libMissingOptional.so") ?? false,
                      "\(warnings)")
    }

    static func descriptorSource(abi: String, kind: String) -> String {
        """
        #include "can_sync_plugin.h"
        static csync_status init(const csync_host_api *h, const char *s, void **o, csync_error *e) {
            (void)h; (void)s; (void)e; *o = 0; return CSYNC_OK;
        }
        static const csync_plugin_descriptor d = {
            .abi_version = \(abi), .struct_size = sizeof(csync_plugin_descriptor), .kind = \(kind),
            .name = "odd", .version = "0", .initialize = init };
        __attribute__((visibility("default"))) const csync_plugin_descriptor *can_sync_plugin_entry(void) { return &d; }
        """
    }
}
