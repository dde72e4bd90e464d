import PluginHost
import TestSupport
import XCTest

/// The example filter written in plain C: compiled here with `cc -shared`, loaded through the
/// same ABI, and combined with the built-in filter plugin.
final class CFilterPluginTests: XCTestCase {
    var directory: TemporaryDirectory!
    var engine: FilterEngine!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        let library = directory.file("libSizeGlobFilter.so").path
        try CPluginCompiler.compile(
            source: BuildProducts.packageRoot.appendingPathComponent("Plugins/ExampleCFilter/size_glob_filter.c").path,
            output: library)
        let cPlugin = try PluginTestHost.instance(library)
        XCTAssertEqual(cPlugin.name, "size-glob")
        XCTAssertEqual(cPlugin.kind, .filter)
        engine = FilterEngine(plugins: [PluginTestHost.filters, cPlugin])
    }

    func asset(size: UInt64, filename: String?, mime: String = "image/jpeg") -> FilterAsset {
        FilterAsset(hash: String(repeating: "d", count: 64), size: size, mimeType: mime, filename: filename)
    }

    func testSizeRange() throws {
        let filter = try engine.compile(json: #"{"min_size":100,"max_size":1000}"#)
        XCTAssertFalse(filter.matches(asset(size: 99, filename: "a.jpg")))
        XCTAssertTrue(filter.matches(asset(size: 100, filename: "a.jpg")))
        XCTAssertTrue(filter.matches(asset(size: 1000, filename: "a.jpg")))
        XCTAssertFalse(filter.matches(asset(size: 1001, filename: "a.jpg")))
    }

    func testFilenameGlob() throws {
        let filter = try engine.compile(json: #"{"filename_glob":"*.jpg"}"#)
        XCTAssertTrue(filter.matches(asset(size: 1, filename: "beach.jpg")))
        XCTAssertFalse(filter.matches(asset(size: 1, filename: "notes.txt")))
        XCTAssertFalse(filter.matches(asset(size: 1, filename: nil)))
    }

    func testCombinesWithBuiltInFieldsByAnd() throws {
        let filter = try engine.compile(json: #"{"mime_prefix":"image/","min_size":10}"#)
        XCTAssertTrue(filter.matches(asset(size: 10, filename: nil)))
        XCTAssertFalse(filter.matches(asset(size: 9, filename: nil)))
        XCTAssertFalse(filter.matches(asset(size: 10, filename: nil, mime: "text/plain")))
    }

    func testErrorsCrossTheABIWithTheirMessage() {
        XCTAssertThrowsError(try engine.compile(json: #"{"min_size":"big"}"#)) { error in
            XCTAssertEqual("\(error)", "filter field 'min_size' must be a non-negative whole number")
        }
        XCTAssertThrowsError(try engine.compile(json: #"{"min_size":5,"max_size":4}"#)) { error in
            XCTAssertEqual("\(error)", "filter field 'min_size' is larger than 'max_size'")
        }
    }

    func testKnownFieldsIncludeBothPlugins() {
        XCTAssertEqual(engine.knownFields,
                       ["application", "filename_glob", "hashes", "max_size", "mime_prefix", "min_size", "tags", "user"])
    }
}
