import Foundation

/// The first bytes of a blob stream: which asset of which library, from which offset.
///
/// Wire format (57 bytes): version (1) ‖ library id (16) ‖ SHA-256 (32) ‖ offset (8, big-endian).
struct BlobRequest: Equatable, Sendable {
    static let version: UInt8 = 1
    static let size = 57

    var library: UUID
    /// 64 lowercase hex digits.
    var hash: String
    var offset: UInt64

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes += withUnsafeBytes(of: library.uuid) { Array($0) }
        bytes += [UInt8](hexString: hash)!
        bytes += withUnsafeBytes(of: offset.bigEndian) { Array($0) }
        return bytes
    }

    init(library: UUID, hash: String, offset: UInt64) {
        self.library = library
        self.hash = hash
        self.offset = offset
    }

    init(decoding bytes: [UInt8]) throws {
        guard bytes.count == Self.size else { throw BlobProtocolError("blob request is \(bytes.count) bytes, expected \(Self.size)") }
        guard bytes[0] == Self.version else { throw BlobProtocolError("unsupported blob request version \(bytes[0])") }
        library = UUID(uuid: (bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                              bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15], bytes[16]))
        hash = Array(bytes[17..<49]).hexString
        offset = bytes[49..<57].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// The provider's answer, before the bytes: found (with the asset's total size) or why not.
///
/// Wire format: status (1) ‖ for `.sending`: total size (8, big-endian), then the bytes from the
/// requested offset to the end; otherwise: message length (2, big-endian) ‖ UTF-8 message.
enum BlobResponseHeader: Equatable, Sendable {
    case sending(totalSize: UInt64)
    case notFound(String)
    case forbidden(String)
    case failed(String)

    func encoded() -> [UInt8] {
        switch self {
        case .sending(let total): return [0] + withUnsafeBytes(of: total.bigEndian) { Array($0) }
        case .notFound(let message): return Self.encode(1, message)
        case .forbidden(let message): return Self.encode(2, message)
        case .failed(let message): return Self.encode(3, message)
        }
    }

    private static func encode(_ status: UInt8, _ message: String) -> [UInt8] {
        let text = Array(message.utf8.prefix(1000))
        return [status, UInt8(text.count >> 8), UInt8(text.count & 0xff)] + text
    }

    /// Decodes a header from the front of `bytes`; nil when more bytes are needed. Returns the
    /// header and how many bytes it took.
    static func decode(_ bytes: [UInt8]) throws -> (BlobResponseHeader, Int)? {
        guard let status = bytes.first else { return nil }
        if status == 0 {
            guard bytes.count >= 9 else { return nil }
            return (.sending(totalSize: bytes[1..<9].reduce(0) { $0 << 8 | UInt64($1) }), 9)
        }
        guard bytes.count >= 3 else { return nil }
        let length = Int(bytes[1]) << 8 | Int(bytes[2])
        guard bytes.count >= 3 + length else { return nil }
        let message = String(decoding: bytes[3..<(3 + length)], as: UTF8.self)
        switch status {
        case 1: return (.notFound(message), 3 + length)
        case 2: return (.forbidden(message), 3 + length)
        case 3: return (.failed(message), 3 + length)
        default: throw BlobProtocolError("unknown blob response status \(status)")
        }
    }
}

/// A malformed blob request or response.
struct BlobProtocolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
