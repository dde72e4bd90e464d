import Foundation

/// The content-addressed files of one index: `blobs/ab/<hash>` for stored content and `tmp/` for uploads
/// in progress, on the same filesystem so that finishing an upload is one atomic rename.
struct BlobDirectory: Sendable {
    let root: URL
    var blobsURL: URL { root.appendingPathComponent("blobs", isDirectory: true) }
    var temporaryURL: URL { root.appendingPathComponent("tmp", isDirectory: true) }
    /// `blobsURL` as a path ending in "/": every request builds a content path from it, and string
    /// concatenation costs a fraction of `URL.appendingPathComponent`.
    private let blobsPrefix: String

    init(root: URL) throws {
        self.root = root
        blobsPrefix = root.appendingPathComponent("blobs", isDirectory: true).path + "/"
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: blobsURL, withIntermediateDirectories: true)
        try fileManager.createDirectory(at: temporaryURL, withIntermediateDirectories: true)
    }

    /// Where the content with this (normalised) hash lives.
    func path(for hash: String) -> String {
        blobsPrefix + hash.prefix(2) + "/" + hash
    }

    /// The shard directory `path(for: hash)` lives in.
    private func shard(for hash: String) -> String {
        blobsPrefix + hash.prefix(2)
    }

    /// Moves a finished upload into place with one rename; a file already there has the same bytes, so
    /// replacing it is harmless.
    func install(upload: String, as hash: String) throws {
        let (target, directory) = (path(for: hash), shard(for: hash))
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            let reason = String(cString: strerror(errno))
            unlink(upload)
            throw CANStoreError.fault("could not create directory \(directory): \(reason)")
        }
        guard rename(upload, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(upload)
            throw CANStoreError.fault("could not move upload \(upload) to \(target): \(reason)")
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
