import CPluginAPI

/// The plugins a node loaded from its manifest, initialized and grouped by kind.
public final class PluginRegistry: Sendable {
    /// What `GET /status` shows about one plugin.
    public struct Summary: Sendable, Codable, Equatable {
        public var name: String
        public var kind: PluginKind
        public var version: String
        public var path: String
    }

    public let instances: [PluginInstance]

    public init(instances: [PluginInstance]) {
        self.instances = instances
    }

    /// Loads and initializes every enabled entry. A required plugin that fails throws; an optional
    /// one is skipped and `warn` receives the reason.
    public static func load(
        manifest: PluginManifest, identity: NodeIdentityView, log: @escaping PluginLogHandler,
        warn: (String) -> Void
    ) throws -> PluginRegistry {
        var instances: [PluginInstance] = []
        for entry in manifest.entries where entry.enabled {
            do {
                let plugin = try PluginLoader.load(path: entry.resolvedPath)
                if let clash = instances.first(where: { $0.name == plugin.name }) {
                    throw PluginLoadError(path: entry.resolvedPath,
                                          reason: "a plugin named '\(plugin.name)' is already loaded from \(clash.plugin.path)")
                }
                instances.append(try PluginInstance(plugin: plugin, settingsJSON: entry.settingsJSON,
                                                     identity: identity, log: log))
            } catch let error as PluginLoadError {
                let located = "\(manifest.file):\(entry.line): \(error)"
                if entry.required { throw PluginLoadError(path: error.path, reason: "\(error.reason) (required by \(manifest.file):\(entry.line))") }
                warn("skipping optional plugin: \(located)")
            }
        }
        return PluginRegistry(instances: instances)
    }

    public func instances(of kind: PluginKind) -> [PluginInstance] {
        instances.filter { $0.kind == kind }
    }

    public var summaries: [Summary] {
        instances.map { Summary(name: $0.name, kind: $0.kind, version: $0.plugin.version, path: $0.plugin.path) }
    }

    /// Shuts every plugin down, discovery first and transport last.
    public func shutdown() {
        for kind in [PluginKind.discovery, .filter, .transport] {
            instances(of: kind).forEach { $0.shutdown() }
        }
    }
}
