import Foundation

/// The content-addressed files of one index: `blobs/ab/<hash>` for stored content and `tmp/` for uploads
/// in progress, on the same filesystem so that finishing an upload is one atomic rename.
struct BlobDirectory: Sendable {
    let root: URL
    var blobsURL: URL { root.appendingPathComponent("blobs", isDirectory: true) }
    var temporaryURL: URL { root.appendingPathComponent("tmp", isDirectory: true) }

    init(root: URL) throws {
        self.root = root
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: blobsURL, withIntermediateDirectories: true)
        try fileManager.createDirectory(at: temporaryURL, withIntermediateDirectories: true)
    }

    /// Where the content with this (normalised) hash lives.
    func path(for hash: String) -> String {
        blobsURL.appendingPathComponent(String(hash.prefix(2)), isDirectory: true)
            .appendingPathComponent(hash).path
    }

    /// Moves a finished upload into place with one rename; a file already there has the same bytes, so
    /// replacing it is harmless.
    func install(upload path: String, as hash: String) throws {
        let target = self.path(for: hash)
        let shard = (target as NSString).deletingLastPathComponent
        if mkdir(shard, 0o755) != 0 && errno != EEXIST {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw CANStoreError.fault("could not create directory \(shard): \(reason)")
        }
        guard rename(path, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw CANStoreError.fault("could not move upload \(path) to \(target): \(reason)")
        }
    }

    /// Reclaims the bytes of a deleted asset; a file already gone is fine.
    func remove(_ hash: String) {
        unlink(path(for: hash))
    }

    /// Removes uploads left behind by a process that stopped mid-upload; run before serving.
    func removeAbandonedUploads() -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporaryURL.path)) ?? []
        for name in names { unlink(temporaryURL.appendingPathComponent(name).path) }
        return names.count
    }
}
