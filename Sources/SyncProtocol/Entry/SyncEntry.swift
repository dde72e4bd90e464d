/// One library document entry: an asset manifest, stamped by its author node and signed twice.
///
/// The library signature proves a holder of the library secret wrote it; the author signature
/// says which node. Both cover `"cansync/v1 entry" ‖ body`, where the body is (big-endian
/// integers, varint-prefixed UTF-8 strings, optional = 0 | 1 ‖ string):
///
///     format u8 (= 1) ‖ library key (32) ‖ author node id (32) ‖ timestamp u64 µs ‖
///     asset hash (32) ‖ size varint ‖ mime type ‖ application? ‖ tag count varint ‖ tags ‖
///     user? ‖ filename? ‖ metadata ‖ created_at i64 ms ‖ updated_at i64 ms ‖ deleted u8
///
/// The wire form is body ‖ library signature (64) ‖ author signature (64). Decoding accepts
/// only the canonical form, so every entry has one byte representation and one `digest`.
///
/// Conflicts: for the same asset hash, the entry with the larger (timestamp, author, digest)
/// wins, compared on every node alike, so all nodes converge on the same winner.
public struct SyncEntry: Hashable, Sendable {
    public static let format: UInt8 = 1
    public static let signatureDomain = "cansync/v1 entry"
    /// Receivers reject entries timestamped further ahead of their own clock than this
    /// (10 minutes, in µs), as iroh-docs does; see `HybridLogicalClock`.
    public static let maximumFutureSkew: UInt64 = 600_000_000

    public let library: PublicKey
    public let author: PublicKey
    /// Hybrid logical clock value, µs since the Unix epoch.
    public let timestamp: UInt64
    public let manifest: AssetManifest
    public let librarySignature: Signature
    public let authorSignature: Signature
    /// BLAKE2b-256 of the body: the entry's identity, the reconciliation value of its asset and
    /// the last tie-breaker of the conflict rule. Computed once, when the entry is made or decoded.
    public let digest: Bytes32

    /// Signs `manifest` as a new entry of the library behind `library`, written by `author`.
    public init(manifest: AssetManifest, timestamp: UInt64, library: LibraryKeys, author: SigningKey) {
        self.library = library.publicKey
        self.author = author.publicKey
        self.timestamp = timestamp
        self.manifest = manifest
        let body = Self.encodeBody(library: library.publicKey, author: author.publicKey, timestamp: timestamp, manifest: manifest)
        let message = Self.signedMessage(body: body)
        librarySignature = library.signingKey.sign(message)
        authorSignature = author.sign(message)
        digest = Blake2b.hash256(body)
    }

    /// The asset this entry describes.
    public var hash: Bytes32 { manifest.hash }

    /// The canonical body the signatures cover (without the domain prefix).
    public var body: [UInt8] {
        Self.encodeBody(library: library, author: author, timestamp: timestamp, manifest: manifest)
    }


    /// The wire form.
    public func encoded() -> [UInt8] {
        body + librarySignature.bytes + authorSignature.bytes
    }

    /// Checks the library key, both signatures and the future-skew bound; `now` is the
    /// receiver's wall clock in µs. Throws `EntryError`.
    public func verify(libraryKey: PublicKey, now: UInt64 = HybridLogicalClock.wallClockMicros()) throws {
        let asset = manifest.hashHex
        guard library == libraryKey else {
            throw EntryError.wrongLibrary(asset: asset, author: author.hex, expected: libraryKey.hex, found: library.hex)
        }
        let message = Self.signedMessage(body: body)
        guard library.verify(librarySignature, over: message) else {
            throw EntryError.badLibrarySignature(asset: asset, author: author.hex)
        }
        guard author.verify(authorSignature, over: message) else {
            throw EntryError.badAuthorSignature(asset: asset, author: author.hex)
        }
        guard timestamp <= now &+ Self.maximumFutureSkew else {
            throw EntryError.timestampInFuture(asset: asset, author: author.hex, timestamp: timestamp, now: now)
        }
    }

    /// Whether this entry beats `other` for the same asset: larger (timestamp, author, digest).
    public func wins(over other: SyncEntry) -> Bool {
        if timestamp != other.timestamp { return timestamp > other.timestamp }
        if author != other.author { return author > other.author }
        return other.digest < digest
    }

    /// The winner of the two (either, when they are the same entry).
    public static func resolve(_ lhs: SyncEntry, _ rhs: SyncEntry) -> SyncEntry {
        rhs.wins(over: lhs) ? rhs : lhs
    }

    static func signedMessage(body: [UInt8]) -> [UInt8] {
        Array(signatureDomain.utf8) + body
    }

    static func encodeBody(library: PublicKey, author: PublicKey, timestamp: UInt64, manifest: AssetManifest) -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        writer.u8(format)
        writer.bytes32(library.bytes32)
        writer.bytes32(author.bytes32)
        writer.u64(timestamp)
        writer.bytes32(manifest.hash)
        writer.varint(manifest.size)
        writer.string(manifest.mimeType)
        writer.optionalString(manifest.application)
        writer.varint(manifest.tags.count)
        for tag in manifest.tags {
            writer.string(tag)
        }
        writer.optionalString(manifest.user)
        writer.optionalString(manifest.filename)
        writer.string(manifest.metadata)
        writer.u64(UInt64(bitPattern: manifest.createdAt))
        writer.u64(UInt64(bitPattern: manifest.updatedAt))
        writer.u8(manifest.deleted ? 1 : 0)
        return writer.bytes
    }
}
