import CPluginAPI
import Foundation

/// A library filter that no loaded filter plugin accepts, with a message naming the problem.
public struct FilterError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}

/// Compiles library filters with the loaded filter plugins. A filter is a JSON object; each field
/// belongs to the plugin that lists it in its `fields`, each plugin compiles its own part, and an
/// asset matches when every part matches (AND). A field no plugin owns is an error.
public final class FilterEngine: Sendable {
    private let owners: [String: PluginInstance]

    public init(plugins: [PluginInstance]) {
        var owners: [String: PluginInstance] = [:]
        for instance in plugins where instance.kind == .filter {
            guard let fields = instance.descriptor.filter.pointee.fields else { continue }
            var index = 0
            while let field = fields[index] {
                owners[String(cString: field)] = owners[String(cString: field)] ?? instance
                index += 1
            }
        }
        self.owners = owners
    }

    /// Every filter field a loaded plugin understands, sorted.
    public var knownFields: [String] { owners.keys.sorted() }

    /// Validates and compiles `json` (a JSON object).
    public func compile(json: String) throws -> CompiledFilter {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw FilterError(message: "filter must be a JSON object")
        }
        var parts: [String: [String: Any]] = [:]
        var instances: [String: PluginInstance] = [:]
        for (field, value) in object {
            guard let owner = owners[field] else {
                throw FilterError(message: "unknown filter field '\(field)' (known fields: \(knownFields.joined(separator: ", ")))")
            }
            parts[owner.name, default: [:]][field] = value
            instances[owner.name] = owner
        }
        var compiled: [CompiledFilter.Part] = []
        for (name, fields) in parts.sorted(by: { $0.key < $1.key }) {
            let instance = instances[name]!
            let text = String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self)
            var handle: UnsafeMutableRawPointer?
            var error = csync_error()
            let status = instance.descriptor.filter.pointee.compile(instance.state, text, &handle, &error)
            guard status == CSYNC_OK else {
                compiled.forEach { $0.release() }
                throw FilterError(message: error.text.isEmpty ? "filter rejected by plugin '\(name)'" : error.text)
            }
            compiled.append(CompiledFilter.Part(instance: instance, handle: handle))
        }
        return CompiledFilter(parts: compiled)
    }
}

/// A compiled library filter: the AND of its plugins' parts. The empty filter matches everything.
public final class CompiledFilter: @unchecked Sendable {
    struct Part {
        let instance: PluginInstance
        let handle: UnsafeMutableRawPointer?

        func matches(_ view: UnsafePointer<csync_asset_view>) -> Bool {
            instance.descriptor.filter.pointee.matches(instance.state, handle, view) == 1
        }

        func release() {
            instance.descriptor.filter.pointee.release?(instance.state, handle)
        }
    }

    private let parts: [Part]

    init(parts: [Part]) {
        self.parts = parts
    }

    public func matches(_ asset: FilterAsset) -> Bool {
        if parts.isEmpty { return true }
        return asset.withView { view in parts.allSatisfy { $0.matches(view) } }
    }

    deinit { parts.forEach { $0.release() } }
}
