import CANModel
import Foundation
import PluginHost
import SyncProtocol

extension AssetManifest {
    /// The manifest a library entry carries for a CAN asset.
    init(asset: Asset, deleted: Bool) throws {
        try self.init(hashHex: asset.hash.lowercased(), size: UInt64(max(asset.size, 0)), mimeType: asset.mimeType,
                      application: asset.application, tags: asset.tags, user: asset.user, filename: asset.filename,
                      metadata: asset.metadataJSON, createdAt: asset.createdAt, updatedAt: asset.updatedAt,
                      deleted: deleted)
    }
}

extension AssetManifest {
    /// The described asset as filter plugins see it.
    var filterView: FilterAsset {
        FilterAsset(hash: hashHex, size: size, mimeType: mimeType, application: application, user: user,
                    filename: filename, tags: tags, metadataJSON: metadata, createdAtMs: createdAt, updatedAtMs: updatedAt)
    }

    /// Equal apart from `updatedAt`, which a store sets anew when it ingests a synced asset:
    /// comparing it would make every synced asset look changed and bounce between nodes.
    func hasSameContent(as other: AssetManifest) -> Bool {
        var copy = other
        copy.updatedAt = updatedAt
        return self == copy
    }
}

extension Asset {
    /// The metadata object as compact JSON text, keys sorted.
    var metadataJSON: String {
        guard !metadata.isEmpty else { return "{}" }
        var json = JSONWriter(capacity: 128)
        json.object(metadata)
        return String(decoding: json.bytes, as: UTF8.self)
    }

    /// The asset as filter plugins see it.
    var filterView: FilterAsset {
        FilterAsset(hash: hash.lowercased(), size: UInt64(max(size, 0)), mimeType: mimeType, application: application,
                    user: user, filename: filename, tags: tags, metadataJSON: metadataJSON,
                    createdAtMs: createdAt, updatedAtMs: updatedAt)
    }
}
