extension SyncEntry {
    static let maxShortString = 1024
    static let maxFilename = 4096
    static let maxTags = 1024
    static let maxMetadata = 256 * 1024

    /// Decodes the wire form; throws `WireFormatError` for anything but a canonical entry.
    /// Does not verify signatures: call `verify(libraryKey:now:)`.
    public init(decoding bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "sync entry")
        try self.init(reading: &reader)
        try reader.expectEnd()
    }

    /// Reads one entry from `reader` (the body, then both signatures).
    init(reading reader: inout ByteReader) throws {
        let start = reader.offset
        let format = try reader.u8("format")
        guard format == Self.format else {
            throw WireFormatError(reader.context, offset: start, "unsupported entry format \(format) (this node reads \(Self.format))")
        }
        let library = PublicKey(try reader.bytes32("library key"))
        let author = PublicKey(try reader.bytes32("author"))
        let timestamp = try reader.u64("timestamp")
        let hash = try reader.bytes32("asset hash")
        let size = try reader.varint("size")
        let mime = try reader.string("mime type", limit: Self.maxShortString)
        let application = try reader.optionalString("application", limit: Self.maxShortString)
        let tagCount = try reader.count("tag count", limit: Self.maxTags)
        var tags: [String] = []
        for index in 0..<tagCount {
            tags.append(try reader.string("tag \(index)", limit: Self.maxShortString))
        }
        let user = try reader.optionalString("user", limit: Self.maxShortString)
        let filename = try reader.optionalString("filename", limit: Self.maxFilename)
        let metadataOffset = reader.offset
        let metadata = try reader.string("metadata", limit: Self.maxMetadata)
        let createdAt = Int64(bitPattern: try reader.u64("created_at"))
        let updatedAt = Int64(bitPattern: try reader.u64("updated_at"))
        let deletedOffset = reader.offset
        let deleted = try reader.u8("deleted flag")
        guard deleted <= 1 else { throw WireFormatError(reader.context, offset: deletedOffset, "deleted flag is \(deleted), expected 0 or 1") }
        let bodyEnd = reader.offset
        let librarySignature = Signature(try reader.raw(64, "library signature"))!
        let authorSignature = Signature(try reader.raw(64, "author signature"))!

        let manifest: AssetManifest
        do {
            manifest = try AssetManifest(hash: hash, size: size, mimeType: mime, application: application, tags: tags,
                                         user: user, filename: filename, metadata: metadata,
                                         createdAt: createdAt, updatedAt: updatedAt, deleted: deleted == 1)
        } catch {
            throw WireFormatError(reader.context, offset: metadataOffset, "metadata: \(error)")
        }
        self.library = library
        self.author = author
        self.timestamp = timestamp
        self.manifest = manifest
        self.librarySignature = librarySignature
        self.authorSignature = authorSignature
        let canonicalBody = Self.encodeBody(library: library, author: author, timestamp: timestamp, manifest: manifest)
        guard canonicalBody[...] == reader.bytes[start..<bodyEnd] else {
            throw WireFormatError(reader.context, offset: start,
                                  "entry is not in canonical form (unsorted or duplicate tags, or non-canonical metadata JSON)")
        }
        digest = Blake2b.hash256(canonicalBody)
    }
}
