import Foundation

/// Where `swift build` put this package's executables and plugin libraries.
public enum BuildProducts {
    /// The package root, found from this source file's location.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The directory holding built products: the one the running test bundle was built into.
    public static let binDirectory: URL = {
        if let override = ProcessInfo.processInfo.environment["CAN_SYNC_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        // The xctest bundle lives in the same directory as the executables and .so files.
        let bundle = Bundle.main.bundleURL.resolvingSymlinksInPath()
        let candidates = [bundle.deletingLastPathComponent(), bundle,
                          packageRoot.appendingPathComponent(".build/debug")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("can-sync").path) }
            ?? packageRoot.appendingPathComponent(".build/debug")
    }()

    /// The path of a built plugin library, e.g. `plugin("Filters")` → `.../libFilters.so`.
    public static func plugin(_ name: String) -> String {
        binDirectory.appendingPathComponent("lib\(name).so").path
    }

    /// The path of a built executable, e.g. `executable("can-service")`.
    public static func executable(_ name: String) -> String {
        binDirectory.appendingPathComponent(name).path
    }
}
