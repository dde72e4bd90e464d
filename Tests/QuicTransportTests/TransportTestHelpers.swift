import COpenSSL
import Foundation
import PluginHost

/// SHA-256 over chunks with OpenSSL.
final class SHA256Hasher: @unchecked Sendable {
    private let context = EVP_MD_CTX_new()

    init() { EVP_DigestInit_ex(context, EVP_sha256(), nil) }

    func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
    }

    func finish() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        EVP_MD_CTX_free(context)
        return digest
    }
}

/// Deterministic pseudo-random bytes.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func bytes(count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { raw in
            var index = 0
            while index < count {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                withUnsafeBytes(of: z) { word in
                    for byte in word where index < count {
                        raw[index] = byte
                        index += 1
                    }
                }
            }
        }
        return out
    }
}

final class ReceivedDigest: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (Int, [UInt8]) = (0, [])
    func set(count: Int, digest: [UInt8]) { lock.withLock { stored = (count, digest) } }
    var value: (Int, [UInt8]) { lock.withLock { stored } }
}

final class StreamBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stream: PeerStream?
    func set(_ value: PeerStream) { lock.withLock { stream = value } }
    var value: PeerStream? { lock.withLock { stream } }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add(_ amount: Int) { lock.withLock { count += amount } }
    var value: Int { lock.withLock { count } }
}
