import Foundation
import COpenSSL

/// Streaming SHA-256 over OpenSSL's EVP interface (it uses the CPU's SHA extensions), with hex output.
///
/// Not thread-safe: one hasher belongs to one stream of bytes.
public final class SHA256Hasher {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            fatalError("OpenSSL could not set up a SHA-256 context (out of memory?)")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Feeds `bytes` into the digest.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// Feeds a byte collection into the digest.
    public func update<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        if bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// The digest as 64 lowercase hex digits; the hasher is reset for reuse.
    public func finalizeHex() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        return Self.hex(digest.prefix(Int(length)))
    }

    /// Feeds the first `length` bytes of the file at `path` (all of it when nil) into the digest and
    /// returns how many it read: fewer when the file is shorter.
    @discardableResult
    public func update(fileAt path: String, upTo length: UInt64? = nil) throws -> UInt64 {
        let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? file.close() }
        var read: UInt64 = 0
        while length.map({ read < $0 }) ?? true,
              let chunk = try file.read(upToCount: Int(min((length ?? .max) - read, 1 << 20))), !chunk.isEmpty {
            chunk.withUnsafeBytes { update($0) }
            read += UInt64(chunk.count)
        }
        return read
    }

    /// The SHA-256 of `bytes` as lowercase hex.
    public static func hex<Bytes: Sequence<UInt8>>(of bytes: Bytes) -> String {
        let hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalizeHex()
    }

    private static let digits = Array("0123456789abcdef".utf8)

    private static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
