import CSodium
import Foundation
import PluginHost

/// A transport plugin loaded in this process with an Ed25519 identity made from a seed.
struct BenchNode {
    let transport: PeerTransport
    let nodeID: NodeID

    init(pluginPath: String, seed: [UInt8], settings: String) throws {
        var publicKey = [UInt8](repeating: 0, count: 32)
        var secretKey = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        nodeID = NodeID(bytes: publicKey)
        let plugin = try PluginLoader.load(path: pluginPath)
        let identity = NodeIdentityView(nodeID: nodeID, secretKey: secretKey, syncPassphrase: "",
                                        dataDirectory: FileManager.default.temporaryDirectory.path)
        let instance = try PluginInstance(plugin: plugin, settingsJSON: settings, identity: identity) { name, level, message in
            if level.rawValue >= 2 || ProcessInfo.processInfo.environment["BENCH_DEBUG"] != nil {
                FileHandle.standardError.write(Data("[\(name)] \(message)\n".utf8))
            }
        }
        transport = try PeerTransport(instance)
        try transport.start()
    }
}

/// 32 bytes from hex digits, or a random seed for "random".
func seedBytes(_ text: String) -> [UInt8] {
    if text == "random" { return (0..<32).map { _ in UInt8.random(in: 0...255) } }
    guard let bytes = [UInt8](hexString: text), bytes.count == 32 else {
        fail("--seed must be 64 hex digits or 'random', not '\(text)'")
    }
    return bytes
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("TransportBench: \(message)\n".utf8))
    exit(2)
}

/// CPU time (user + system) this process has used, in seconds.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000
}

/// Writes a line to stdout at once (unbuffered): tests read it from a log file while we run.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
