import Foundation
import YAMLTree

/// The plugins a node loads, as declared in plugins.yaml.
///
/// ```yaml
/// plugins:
///   - path: libQuicTransport.so   # relative: the can-sync executable's directory, then this file's
///     enabled: true               # default true; false skips the plugin entirely
///     required: true              # default false; a required plugin that fails to load stops the node
///     settings: { bind: "0.0.0.0:0" }   # free-form, handed to the plugin's initialize as JSON
/// ```
public struct PluginManifest: Sendable {
    /// One `plugins:` entry.
    public struct Entry: Sendable, Equatable {
        /// The path as written in the file.
        public var path: String
        /// Where the library was found (or the first place looked, when it exists nowhere).
        public var resolvedPath: String
        public var enabled: Bool
        public var required: Bool
        public var settingsJSON: String
        /// The line of the entry, for messages.
        public var line: Int
    }

    public var file: String
    public var entries: [Entry]

    /// Reads and validates a plugins.yaml file. `executableDirectory` is where relative paths are tried first.
    public static func load(file: String, executableDirectory: String) throws -> PluginManifest {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw YAMLFileError(file: file, line: 0, key: nil, problem: "cannot read the plugins file: \(error.localizedDescription)")
        }
        return try parse(text, file: file, executableDirectory: executableDirectory)
    }

    public static func parse(_ text: String, file: String, executableDirectory: String) throws -> PluginManifest {
        let root = try YAMLMapping.parse(text, file: file)
        try root.rejectUnknownKeys(["plugins"])
        guard let items = try root.sequence("plugins") else {
            throw YAMLFileError(file: file, line: 1, key: "plugins", problem: "missing: list the plugins to load")
        }
        let fileDirectory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        let entries = try items.enumerated().map { index, item in
            let mapping = try YAMLMapping(item, file: file, path: "plugins[\(index)]")
            try mapping.rejectUnknownKeys(["path", "enabled", "required", "settings"])
            guard let path = try mapping.string("path"), !path.isEmpty else {
                throw mapping.error("path", "missing: the plugin's .so file")
            }
            let settings = try mapping.mapping("settings")
            return Entry(
                path: path,
                resolvedPath: resolve(path, candidates: [executableDirectory, fileDirectory]),
                enabled: try mapping.bool("enabled") ?? true,
                required: try mapping.bool("required") ?? false,
                settingsJSON: settings?.node.jsonText() ?? "{}",
                line: item.line)
        }
        return PluginManifest(file: file, entries: entries)
    }

    private static func resolve(_ path: String, candidates: [String]) -> String {
        if path.hasPrefix("/") { return path }
        let paths = candidates.map { URL(fileURLWithPath: $0).appendingPathComponent(path).standardized.path }
        return paths.first { FileManager.default.fileExists(atPath: $0) } ?? paths[0]
    }
}
