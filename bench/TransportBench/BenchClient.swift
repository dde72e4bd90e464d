import Foundation
import PluginHost

/// The measuring side of the bench.
struct BenchClient {
    let node: BenchNode
    let peer: NodeID
    let address: String

    func run(bytes: UInt64, streams: Int) async throws {
        let connectStart = monotonicSeconds()
        let connection = try await node.transport.connect(to: peer, addresses: [address])
        let handshake = monotonicSeconds() - connectStart
        let echo = try await connection.openStream(protocol: BenchProtocols.echo)
        try await echo.write([42])
        guard let first = try await echo.read(), first == [42] else { throw BenchError("echo returned the wrong byte") }
        let firstByte = monotonicSeconds() - connectStart
        try echo.finish()
        _ = try await echo.read()
        emit(String(format: "fresh connection: handshake %.2f ms, time to first echoed byte %.2f ms", handshake * 1000, firstByte * 1000))

        let single = try await upload(on: connection, bytes: bytes)
        emit(String(format: "1 stream: %@ in %.2f s = %.1f MB/s; CPU client %.2f s (%.0f%%), server %.2f s (%.0f%%)",
                     format(bytes), single.seconds, Double(bytes) / single.seconds / 1e6,
                     single.clientCPU, 100 * single.clientCPU / single.seconds,
                     single.serverCPU, 100 * single.serverCPU / single.seconds))

        let share = bytes / UInt64(streams)
        let start = monotonicSeconds()
        let cpuStart = cpuSeconds()
        let results = try await withThrowingTaskGroup(of: (Int, Upload).self) { group in
            for number in 0..<streams {
                group.addTask { (number, try await upload(on: connection, bytes: share, measureCPU: false)) }
            }
            var all: [(Int, Upload)] = []
            for try await result in group { all.append(result) }
            return all.sorted { $0.0 < $1.0 }
        }
        let total = monotonicSeconds() - start
        let clientCPU = cpuSeconds() - cpuStart
        let rates = results.map { Double(share) / $0.1.seconds / 1e6 }
        emit(String(format: "%d streams: %@ each, aggregate %.1f MB/s in %.2f s; client CPU %.2f s (%.0f%%)",
                     streams, format(share), Double(share * UInt64(streams)) / total / 1e6, total, clientCPU, 100 * clientCPU / total))
        emit("  per-stream MB/s: " + rates.map { String(format: "%.1f", $0) }.joined(separator: " ")
              + String(format: "  (min/max %.2f)", (rates.min() ?? 0) / max(rates.max() ?? 1, 0.001)))
        let info = try connection.info()
        emit("connection: rtt \(info.rttMicroseconds) us, sent \(info.bytesSent) B, received \(info.bytesReceived) B")
        connection.close(code: 0, reason: "bench done")
    }

    struct Upload {
        var seconds: Double
        var clientCPU: Double
        var serverCPU: Double
    }

    func upload(on connection: PeerConnection, bytes: UInt64, measureCPU: Bool = true) async throws -> Upload {
        let stream = try await connection.openStream(protocol: BenchProtocols.sink)
        let start = monotonicSeconds()
        let cpuStart = cpuSeconds()
        var remaining = bytes
        let block = BenchProtocols.pattern
        while remaining > 0 {
            let count = Int(min(UInt64(block.count), remaining))
            try await stream.write(count == block.count ? block : Array(block[0..<count]))
            remaining -= UInt64(count)
        }
        try stream.finish()
        let reply = try await stream.readToEnd(limit: 64)
        let seconds = monotonicSeconds() - start
        guard reply.count == 48, UInt64(bigEndianBytes: Array(reply[0..<8])) == bytes else {
            throw BenchError("the server counted a different number of bytes: \(reply)")
        }
        let serverCPU = Double(UInt64(bigEndianBytes: Array(reply[40..<48]))) / 1_000_000
        return Upload(seconds: seconds, clientCPU: measureCPU ? cpuSeconds() - cpuStart : 0, serverCPU: serverCPU)
    }

    /// Sends `bytes` on one sink stream, slowly, so the peer can be killed in the middle.
    func sendForever(bytes: UInt64) async throws {
        let connection = try await node.transport.connect(to: peer, addresses: [address])
        let stream = try await connection.openStream(protocol: BenchProtocols.sink)
        emit("SENDING")
        var sent: UInt64 = 0
        while sent < bytes {
            try await stream.write(Array(BenchProtocols.pattern[0..<4096]))
            sent += 4096
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    private func format(_ bytes: UInt64) -> String {
        bytes >= 1 << 30 ? String(format: "%.2f GiB", Double(bytes) / Double(1 << 30)) : String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
