import COpenSSL
import Foundation
import PluginHost

/// The stream protocols a bench server speaks. Each request stream starts with nothing but the
/// bytes the protocol defines; replies are small and fixed-size.
enum BenchProtocols {
    /// Reads until FIN, then replies with 8 bytes of count, 32 bytes of SHA-256 and 8 bytes of
    /// server CPU microseconds spent while the stream was open.
    static let sink = "bench/sink/1"
    /// Echoes every byte back, then finishes when the peer does.
    static let echo = "bench/echo/1"
    /// Reads an 8-byte big-endian count and sends that many bytes of the fixed pattern, then FIN.
    static let source = "bench/source/1"

    static func serve(_ transport: PeerTransport, hash: Bool) {
        transport.handle(protocol: sink) { stream in
            let startCPU = cpuSeconds()
            var total: UInt64 = 0
            let digest = SHA256Stream(enabled: hash)
            do {
                while let chunk = try await stream.read() {
                    total += UInt64(chunk.count)
                    digest.update(chunk)
                }
                let cpu = UInt64((cpuSeconds() - startCPU) * 1_000_000)
                try await stream.write(total.bigEndianBytes + digest.finish() + cpu.bigEndianBytes)
                try stream.finish()
            } catch {
                FileHandle.standardError.write(Data("sink stream failed: \(error)\n".utf8))
            }
        }
        transport.handle(protocol: echo) { stream in
            do {
                while let chunk = try await stream.read() { try await stream.write(chunk) }
                try stream.finish()
            } catch {
                FileHandle.standardError.write(Data("echo stream failed: \(error)\n".utf8))
            }
        }
        transport.handle(protocol: source) { stream in
            do {
                var header: [UInt8] = []
                while header.count < 8, let chunk = try await stream.read() { header += chunk }
                guard header.count >= 8 else { return stream.reset(code: 2) }
                var remaining = UInt64(bigEndianBytes: Array(header[0..<8]))
                let block = pattern
                while remaining > 0 {
                    let count = Int(min(UInt64(block.count), remaining))
                    try await stream.write(count == block.count ? block : Array(block[0..<count]))
                    remaining -= UInt64(count)
                }
                try stream.finish()
            } catch {
                FileHandle.standardError.write(Data("source stream failed: \(error)\n".utf8))
            }
        }
    }

    /// 1 MiB of fixed pseudo-random bytes: what the bench sends, over and over.
    static let pattern: [UInt8] = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<(1 << 20)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }()
}

/// SHA-256 over a stream of chunks (OpenSSL: SHA-NI speed), or nothing when disabled.
final class SHA256Stream: @unchecked Sendable {
    private let context: OpaquePointer?

    init(enabled: Bool) {
        context = enabled ? EVP_MD_CTX_new() : nil
        if let context { EVP_DigestInit_ex(context, EVP_sha256(), nil) }
    }

    func update(_ bytes: [UInt8]) {
        guard let context else { return }
        bytes.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
    }

    func finish() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        guard let context else { return digest }
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        EVP_MD_CTX_free(context)
        return digest
    }
}

extension UInt64 {
    var bigEndianBytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: self >> (56 - 8 * $0)) } }

    init(bigEndianBytes bytes: [UInt8]) {
        self = bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
