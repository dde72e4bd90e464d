import CPluginAPI
#if canImport(Glibc)
import Glibc
#endif

/// An asset as the host hands it to filter plugins (the fields of `csync_asset_view`).
public struct FilterAsset: Sendable, Equatable {
    public var hash: String
    public var size: UInt64
    public var mimeType: String
    public var application: String?
    public var user: String?
    public var filename: String?
    public var tags: [String]
    public var metadataJSON: String
    public var createdAtMs: Int64
    public var updatedAtMs: Int64

    public init(hash: String, size: UInt64, mimeType: String, application: String? = nil, user: String? = nil,
                filename: String? = nil, tags: [String] = [], metadataJSON: String = "{}",
                createdAtMs: Int64 = 0, updatedAtMs: Int64 = 0) {
        self.hash = hash
        self.size = size
        self.mimeType = mimeType
        self.application = application
        self.user = user
        self.filename = filename
        self.tags = tags
        self.metadataJSON = metadataJSON
        self.createdAtMs = createdAtMs
        self.updatedAtMs = updatedAtMs
    }

    /// Calls `body` with a `csync_asset_view` of this asset, valid only during the call.
    func withView<Result>(_ body: (UnsafePointer<csync_asset_view>) -> Result) -> Result {
        withOptionalCString(application) { application in
            withOptionalCString(user) { user in
                withOptionalCString(filename) { filename in
                    withCStrings(tags) { tagPointers in
                        hash.withCString { hash in
                            mimeType.withCString { mime in
                                metadataJSON.withCString { metadata in
                                    var view = csync_asset_view(
                                        struct_size: UInt32(MemoryLayout<csync_asset_view>.size), hash: hash, size: size,
                                        mime_type: mime, application: application, user: user, filename: filename,
                                        tags: tagPointers.baseAddress, n_tags: tags.count, metadata_json: metadata,
                                        created_at_ms: createdAtMs, updated_at_ms: updatedAtMs)
                                    return body(&view)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

private func withOptionalCString<Result>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> Result) -> Result {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}

private func withCStrings<Result>(_ texts: [String], _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) -> Result) -> Result {
    let copies = texts.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return copies.map { UnsafePointer($0) }.withUnsafeBufferPointer(body)
}
