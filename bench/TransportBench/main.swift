import Foundation
import PluginHost

// TransportBench: drives a transport plugin through the plugin ABI, as the node does.
//
//   TransportBench serve  --plugin PATH [--seed HEX|random] [--bind ADDR] [--settings JSON] [--hash]
//       Listens and prints "READY <node id> <address>", then serves bench streams until killed.
//   TransportBench client --plugin PATH --peer NODEID --address ADDR [--bytes N] [--streams K]
//       Measures time to first byte, one-stream and K-stream upload rates against a server.
//   TransportBench send   --plugin PATH --peer NODEID --address ADDR --bytes N
//       Opens one sink stream and sends N bytes slowly forever-ish (used to test a peer dying mid-stream).

var options: [String: String] = [:]
var flags: Set<String> = []
let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { fail("usage: TransportBench serve|client|send --plugin PATH ...") }
var index = 1
while index < arguments.count {
    let name = arguments[index]
    guard name.hasPrefix("--") else { fail("unexpected argument '\(name)'") }
    if name == "--hash" {
        flags.insert(name)
        index += 1
    } else {
        guard index + 1 < arguments.count else { fail("\(name) needs a value") }
        options[String(name.dropFirst(2))] = arguments[index + 1]
        index += 2
    }
}

guard let pluginPath = options["plugin"] else { fail("--plugin PATH is required (the built libQuicTransport.so)") }
let bind = options["bind"] ?? "127.0.0.1:0"
let settings = options["settings"] ?? "{\"bind\": \"\(bind)\"}"

switch command {
case "serve":
    let node = try BenchNode(pluginPath: pluginPath, seed: seedBytes(options["seed"] ?? "random"), settings: settings)
    BenchProtocols.serve(node.transport, hash: flags.contains("--hash"))
    emit("READY \(node.nodeID.hex) \(node.transport.localAddresses().first ?? "")")
    while true { sleep(3600) }
case "client", "send":
    guard let peerText = options["peer"], let peer = NodeID(hex: peerText) else { fail("--peer must be a 64-hex-digit node id") }
    guard let address = options["address"] else { fail("--address ADDR is required") }
    let bytes = UInt64(options["bytes"] ?? "\(1 << 30)") ?? 1 << 30
    let streams = Int(options["streams"] ?? "8") ?? 8
    let node = try BenchNode(pluginPath: pluginPath, seed: seedBytes(options["seed"] ?? "random"), settings: settings)
    let client = BenchClient(node: node, peer: peer, address: address)
    do {
        if command == "client" {
            try await client.run(bytes: bytes, streams: streams)
        } else {
            try await client.sendForever(bytes: bytes)
        }
    } catch {
        fail("\(error)")
    }
    node.transport.shutdown()
default:
    fail("unknown command '\(command)' (serve, client or send)")
}
