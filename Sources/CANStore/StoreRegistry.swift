import Foundation
import Logging
import Synchronization

/// Maps API indexes to stores: index N lives in `<data dir>/index-N`, a separate database and content
/// directory, opened on first use. Index 0 and every index already on disk are opened at start-up so that
/// abandoned uploads are cleaned before the first request.
final class StoreRegistry: Sendable {
    /// Indexes are small non-negative integers; the cap stops a stray request from creating many directories.
    static let maxIndex = 1023

    private let root: URL
    private let logger: Logger
    private let stores: Mutex<[Int: AssetStore]>
    private let lock: DataDirectoryLock

    init(dataDirectory: String, logger: Logger) throws {
        root = URL(fileURLWithPath: dataDirectory, isDirectory: true).standardizedFileURL
        self.logger = logger
        stores = Mutex([:])
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        } catch {
            throw CANStoreError.fault("could not create data directory \(root.path): \(error.localizedDescription)")
        }
        lock = try DataDirectoryLock(directory: root)
        let existing = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
            .compactMap { $0.hasPrefix("index-") ? Int($0.dropFirst("index-".count)) : nil }
        for index in Set(existing + [0]) where (0...Self.maxIndex).contains(index) {
            _ = try store(index)
        }
    }

    /// Removes the partial uploads untouched for a week from every open index.
    func removeStalePartialUploads() {
        for store in stores.withLock({ Array($0.values) }) { store.partials.removeStale() }
    }

    func store(_ index: Int) throws -> AssetStore {
        guard (0...Self.maxIndex).contains(index) else {
            throw CANStoreError.notFound("no index \(index): this store serves indexes 0...\(Self.maxIndex)")
        }
        return try stores.withLock { stores in
            if let store = stores[index] { return store }
            let store = try AssetStore(directory: root.appendingPathComponent("index-\(index)", isDirectory: true),
                                       logger: logger)
            stores[index] = store
            return store
        }
    }
}
