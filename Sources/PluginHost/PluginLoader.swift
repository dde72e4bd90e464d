import CPluginAPI
#if canImport(Glibc)
import Glibc
#endif

/// Why a plugin could not be loaded; the message always names the file.
public struct PluginLoadError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String

    public var description: String { "plugin \(path): \(reason)" }

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// A shared library opened with dlopen whose entry symbol returned a valid descriptor.
public struct LoadedPlugin: @unchecked Sendable {
    public let path: String
    public let descriptor: UnsafePointer<csync_plugin_descriptor>

    public var name: String { String(cString: descriptor.pointee.name) }
    public var version: String { String(cString: descriptor.pointee.version) }
    public var kind: PluginKind { PluginKind(descriptor.pointee.kind)! }
}

/// The three kinds of plugin the ABI defines.
public enum PluginKind: String, Sendable, Codable, CaseIterable {
    case transport, discovery, filter

    init?(_ kind: csync_plugin_kind) {
        switch kind {
        case CSYNC_KIND_TRANSPORT: self = .transport
        case CSYNC_KIND_DISCOVERY: self = .discovery
        case CSYNC_KIND_FILTER: self = .filter
        default: return nil
        }
    }
}

/// Opens plugin libraries and checks their descriptors. Libraries are never closed: a Swift
/// plugin's type metadata must outlive every object it created.
public enum PluginLoader {
    public static let entrySymbol = CSYNC_PLUGIN_ENTRY_SYMBOL

    /// Opens `path`, calls its entry symbol, and validates the descriptor it returns.
    public static func load(path: String) throws -> LoadedPlugin {
        guard access(path, F_OK) == 0 else {
            throw PluginLoadError(path: path, reason: "no such file (build the plugins with `swift build`, or fix `path` in plugins.yaml)")
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let detail = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw PluginLoadError(path: path, reason: "dlopen failed: \(detail)")
        }
        guard let symbol = dlsym(handle, entrySymbol) else {
            throw PluginLoadError(path: path, reason: "missing entry symbol '\(entrySymbol)' (is it exported with default visibility?)")
        }
        let entry = unsafeBitCast(symbol, to: csync_plugin_entry_fn.self)
        guard let descriptor = entry() else {
            throw PluginLoadError(path: path, reason: "entry symbol '\(entrySymbol)' returned NULL")
        }
        try validate(descriptor, path: path)
        return LoadedPlugin(path: path, descriptor: descriptor)
    }

    private static func validate(_ descriptor: UnsafePointer<csync_plugin_descriptor>, path: String) throws {
        let abi = descriptor.pointee.abi_version
        guard abi == CSYNC_PLUGIN_ABI_VERSION else {
            throw PluginLoadError(path: path, reason: "ABI version mismatch: plugin has \(abi), host needs \(CSYNC_PLUGIN_ABI_VERSION) (rebuild it against can_sync_plugin.h)")
        }
        guard descriptor.pointee.struct_size >= MemoryLayout<csync_plugin_descriptor>.size else {
            throw PluginLoadError(path: path, reason: "descriptor is \(descriptor.pointee.struct_size) bytes, expected \(MemoryLayout<csync_plugin_descriptor>.size)")
        }
        guard let kind = PluginKind(descriptor.pointee.kind) else {
            throw PluginLoadError(path: path, reason: "unknown plugin kind \(descriptor.pointee.kind.rawValue) (expected 1 transport, 2 discovery or 3 filter)")
        }
        guard descriptor.pointee.name != nil, descriptor.pointee.version != nil, descriptor.pointee.initialize != nil else {
            throw PluginLoadError(path: path, reason: "descriptor lacks name, version or initialize")
        }
        let tableMissing: Bool = switch kind {
        case .transport: descriptor.pointee.transport == nil
        case .discovery: descriptor.pointee.discovery == nil
        case .filter: descriptor.pointee.filter == nil
        }
        if tableMissing {
            throw PluginLoadError(path: path, reason: "a \(kind.rawValue) plugin must set its '\(kind.rawValue)' function table")
        }
    }
}
