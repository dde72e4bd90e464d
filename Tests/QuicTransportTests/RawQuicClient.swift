import Foundation
import TestSupport

/// A minimal QUIC client in C on the system's ngtcp2 + GnuTLS, compiled once per test run, for
/// sending what the plugin itself never would: streams whose protocol tag is empty or cut short,
/// or a handshake without a node key.
///
/// `raw-quic-client HOST:PORT [nokey|p256key] STEP...` opens one bidirectional stream per step, all at once
/// after the handshake, and prints one line per stream when it closes:
/// - `empty`: no bytes, only FIN;
/// - `partial`: a tag header announcing 5 bytes, 2 of them, then FIN;
/// - `echo`: a complete `test/echo/1` header, `ping`, FIN; prints what came back.
/// `nokey` presents no raw public key, `p256key` an ECDSA P-256 one instead of Ed25519. Exit status: 0 all streams closed, 1 handshake failed or the
/// connection was closed, 2 timeout, 3 usage or setup error.
enum RawQuicClient {
    struct Result {
        let status: Int32
        let output: String
    }

    /// Runs the client against `address` and waits for it to exit.
    static func run(_ address: String, _ arguments: [String]) async throws -> Result {
        let executable = try compiled()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [address] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return Result(status: status, output: output)
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: String?
    nonisolated(unsafe) private static var directory: TemporaryDirectory?

    private static func compiled() throws -> String {
        try lock.withLock {
            if let built { return built }
            let directory = try TemporaryDirectory("raw-quic-client")
            let source = BuildProducts.packageRoot.appendingPathComponent("Tests/Fixtures/raw_quic_client.c").path
            let output = directory.file("raw-quic-client").path
            try CCompiler.run(["-std=c11", "-Wall", "-Werror", "-o", output, source],
                              pkgConfig: ["libngtcp2_crypto_gnutls", "libngtcp2", "gnutls"])
            self.directory = directory
            built = output
            return output
        }
    }
}
