import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A transport plugin (`libQuicTransport.so`) loaded into the test process and driven directly
/// through the C plugin ABI (`Sources/CPluginAPI/include/can_sync_plugin.h`), with no node around
/// it: a raw peer for tests that must send what an honest node never would (a forged capability
/// proof, a blob request without a session) and see exactly what the other side answers.
///
/// Test targets that cannot depend on PluginHost use this instead of `PeerTransport`. The ABI's
/// structs are read and written at their C offsets (LP64: 8-byte pointers), which the header
/// fixes; see `Layout`. Streams are buffered in memory and credit is returned as bytes arrive,
/// so keep to small exchanges.
public final class RawPluginTransport: @unchecked Sendable {
    /// This peer's node id (Ed25519 public key, 32 bytes).
    public let nodeID: [UInt8]
    private let state: UnsafeMutableRawPointer
    private let descriptor: UnsafeRawPointer
    private let vtable: UnsafeRawPointer
    private let events: RawTransportEvents
    private var stopped = false
    private let stopLock = NSLock()

    /// Loads the plugin, initializes it with `secretKey` (libsodium's 64 bytes: seed ‖ public key)
    /// and `settingsJSON`, and starts it.
    public init(secretKey: [UInt8], pluginPath: String = BuildProducts.plugin("QuicTransport"),
                settingsJSON: String = #"{"bind": "127.0.0.1:0"}"#) throws {
        precondition(MemoryLayout<UnsafeRawPointer>.size == 8, "RawPluginTransport assumes an LP64 platform")
        guard secretKey.count == 64 else { throw RawTransportError("secret key must be 64 bytes, not \(secretKey.count)") }
        nodeID = Array(secretKey[32..<64])
        guard let library = dlopen(pluginPath, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw RawTransportError("dlopen \(pluginPath): \(dlerror().map { String(cString: $0) } ?? "unknown error")")
        }
        guard let entry = dlsym(library, "can_sync_plugin_entry") else {
            throw RawTransportError("\(pluginPath) does not export can_sync_plugin_entry")
        }
        typealias EntryFn = @convention(c) () -> UnsafeRawPointer?
        guard let descriptor = unsafeBitCast(entry, to: EntryFn.self)() else {
            throw RawTransportError("\(pluginPath): can_sync_plugin_entry returned NULL")
        }
        self.descriptor = descriptor
        let abi = descriptor.load(fromByteOffset: 0, as: UInt32.self)
        let kind = descriptor.load(fromByteOffset: 8, as: Int32.self)
        guard abi == 1, kind == 1 else { throw RawTransportError("\(pluginPath): ABI \(abi), kind \(kind); expected a v1 transport") }
        guard let vtable = descriptor.load(fromByteOffset: Layout.Descriptor.transport, as: UnsafeRawPointer?.self) else {
            throw RawTransportError("\(pluginPath) has no transport vtable")
        }
        self.vtable = vtable

        // The host table and everything it points to live for the rest of the process (the ABI's promise).
        events = RawTransportEvents()
        let host = UnsafeMutableRawPointer.allocate(byteCount: Layout.Host.size, alignment: 8)
        host.initializeMemory(as: UInt8.self, repeating: 0, count: Layout.Host.size)
        host.storeBytes(of: UInt32(Layout.Host.size), toByteOffset: 0, as: UInt32.self)
        host.storeBytes(of: Unmanaged.passRetained(events).toOpaque(), toByteOffset: Layout.Host.context, as: UnsafeMutableRawPointer.self)
        host.storeBytes(of: Self.immortal(nodeID), toByteOffset: Layout.Host.nodeID, as: UnsafeRawPointer.self)
        host.storeBytes(of: Self.immortal(secretKey), toByteOffset: Layout.Host.secretKey, as: UnsafeRawPointer.self)
        host.storeBytes(of: Self.immortal(Array("".utf8CString).map { UInt8(bitPattern: $0) }), toByteOffset: Layout.Host.passphrase, as: UnsafeRawPointer.self)
        let directory = FileManager.default.temporaryDirectory.path
        host.storeBytes(of: Self.immortal(Array(directory.utf8CString).map { UInt8(bitPattern: $0) }), toByteOffset: Layout.Host.dataDir, as: UnsafeRawPointer.self)
        RawTransportEvents.install(into: host)

        typealias InitializeFn = @convention(c) (UnsafeRawPointer?, UnsafePointer<CChar>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutableRawPointer?) -> Int32
        let initialize = unsafeBitCast(descriptor.load(fromByteOffset: Layout.Descriptor.initialize, as: UnsafeRawPointer.self), to: InitializeFn.self)
        var created: UnsafeMutableRawPointer?
        let error = RawErrorBuffer()
        let status = settingsJSON.withCString { initialize(UnsafeRawPointer(host), $0, &created, error.pointer) }
        guard status == 0, let created else { throw RawTransportError("initialize failed (\(status)): \(error.text)") }
        state = created

        typealias StartFn = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32
        let start = unsafeBitCast(vtable.load(fromByteOffset: Layout.Transport.start, as: UnsafeRawPointer.self), to: StartFn.self)
        let started = start(state, error.pointer)
        guard started == 0 else { throw RawTransportError("start failed (\(started)): \(error.text)") }
    }

    /// Dials `peer` (32 bytes) at `addresses`; returns the connection handle once the transport
    /// has authenticated the peer's key.
    public func connect(to peer: [UInt8], addresses: [String], timeout: TimeInterval = 20) async throws -> UInt64 {
        typealias DialFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, UnsafePointer<UnsafePointer<CChar>?>?, Int, UnsafeMutableRawPointer?) -> Int32
        let dial = unsafeBitCast(vtable.load(fromByteOffset: Layout.Transport.dial, as: UnsafeRawPointer.self), to: DialFn.self)
        let error = RawErrorBuffer()
        let copies = addresses.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
        let status = peer.withUnsafeBufferPointer { id in
            pointers.withUnsafeMutableBufferPointer { dial(state, id.baseAddress, $0.baseAddress, addresses.count, error.pointer) }
        }
        guard status == 0 else { throw RawTransportError("dial failed (\(status)): \(error.text)") }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let connection = events.connection(to: peer) { return connection }
            if let reason = events.dialFailure(peer) { throw RawTransportError("dial failed: \(reason)") }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        throw RawTransportError("no connection to the peer within \(timeout) s")
    }

    /// Opens a stream tagged `protocolName` on `connection`.
    public func openStream(on connection: UInt64, protocol protocolName: String) throws -> RawPluginStream {
        typealias OpenFn = @convention(c) (UnsafeMutableRawPointer?, UInt64, UnsafePointer<CChar>?, UnsafeMutablePointer<UInt64>?, UnsafeMutableRawPointer?) -> Int32
        let open = unsafeBitCast(vtable.load(fromByteOffset: Layout.Transport.openStream, as: UnsafeRawPointer.self), to: OpenFn.self)
        let error = RawErrorBuffer()
        var handle: UInt64 = 0
        // Registered under the events lock, so no callback for the new stream can be missed.
        let status = events.registeringStream { protocolName.withCString { open(state, connection, $0, &handle, error.pointer) } == 0 ? handle : nil }
        guard status else { throw RawTransportError("open_stream \(protocolName) failed: \(error.text)") }
        return RawPluginStream(id: handle, protocolName: protocolName, transport: self)
    }

    /// The next stream the peer opened with `protocolName` (others are left unread), or nil
    /// when none arrives within `timeout`.
    public func acceptStream(protocol protocolName: String, timeout: TimeInterval) async throws -> RawPluginStream? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if let id = events.takeIncoming(protocolName) {
                return RawPluginStream(id: id, protocolName: protocolName, transport: self)
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        } while Date() < deadline
        return nil
    }

    /// What the plugin logged, for failure messages.
    public var log: String { events.logText }

    /// Stops the plugin's threads; the transport must not be used afterwards.
    public func shutdown() {
        stopLock.lock()
        defer { stopLock.unlock() }
        guard !stopped else { return }
        stopped = true
        typealias ShutdownFn = @convention(c) (UnsafeMutableRawPointer?) -> Void
        unsafeBitCast(descriptor.load(fromByteOffset: Layout.Descriptor.shutdown, as: UnsafeRawPointer.self), to: ShutdownFn.self)(state)
    }

    deinit { shutdown() }

    // MARK: Stream operations

    fileprivate func write(_ stream: UInt64, _ bytes: [UInt8], fin: Bool) async throws {
        typealias WriteFn = @convention(c) (UnsafeMutableRawPointer?, UInt64, UnsafePointer<UInt8>?, Int, Int32) -> Int64
        let write = unsafeBitCast(vtable.load(fromByteOffset: Layout.Transport.write, as: UnsafeRawPointer.self), to: WriteFn.self)
        var offset = 0
        repeat {
            let accepted = bytes.withUnsafeBufferPointer { buffer in
                write(state, stream, buffer.baseAddress.map { $0 + offset }, bytes.count - offset, fin ? 1 : 0)
            }
            guard accepted >= 0 else { throw RawTransportError("write on stream \(stream) failed (\(accepted))") }
            offset += Int(accepted)
            if offset < bytes.count { try await Task.sleep(nanoseconds: 5_000_000) }
        } while offset < bytes.count
    }

    fileprivate func reset(_ stream: UInt64, code: UInt64) {
        typealias ResetFn = @convention(c) (UnsafeMutableRawPointer?, UInt64, UInt64) -> Int32
        _ = unsafeBitCast(vtable.load(fromByteOffset: Layout.Transport.resetStream, as: UnsafeRawPointer.self), to: ResetFn.self)(state, stream, code)
    }

    fileprivate func consume(_ stream: UInt64, _ count: Int) {
        typealias ConsumeFn = @convention(c) (UnsafeMutableRawPointer?, UInt64, Int) -> Void
        unsafeBitCast(vtable.load(fromByteOffset: Layout.Transport.consume, as: UnsafeRawPointer.self), to: ConsumeFn.self)(state, stream, count)
    }

    fileprivate var streamEvents: RawTransportEvents { events }

    private static func immortal(_ bytes: [UInt8]) -> UnsafeRawPointer {
        let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        copy.initialize(from: bytes, count: bytes.count)
        return UnsafeRawPointer(copy)
    }

    /// Byte offsets of the header's structs on LP64 (every struct opens with a 4-byte size or
    /// version field, padded to 8 before the first pointer).
    enum Layout {
        enum Descriptor {
            static let initialize = 32, shutdown = 40, transport = 48
        }
        enum Host {
            static let size = 144
            static let context = 8, nodeID = 16, secretKey = 24, passphrase = 32, dataDir = 40, log = 48
            static let connectionOpened = 88, connectionClosed = 96, dialFailed = 104, streamOpened = 112
            static let streamData = 120, streamWritable = 128, streamReset = 136
        }
        enum Transport {
            static let start = 8, dial = 24, openStream = 32, write = 40, consume = 48, resetStream = 56
        }
    }
}

/// One stream of a `RawPluginTransport`.
public final class RawPluginStream: @unchecked Sendable {
    public let id: UInt64
    public let protocolName: String
    private let transport: RawPluginTransport

    fileprivate init(id: UInt64, protocolName: String, transport: RawPluginTransport) {
        self.id = id
        self.protocolName = protocolName
        self.transport = transport
    }

    /// Writes all of `bytes`; with `fin`, finishes this side of the stream after them.
    public func write(_ bytes: [UInt8], fin: Bool = false) async throws {
        try await transport.write(id, bytes, fin: fin)
    }

    public func finish() async throws { try await write([], fin: true) }

    public func reset(code: UInt64 = 0) { transport.reset(id, code: code) }

    /// What arrived: bytes, the peer's end of the stream, or nothing yet.
    public enum ReadResult: Equatable, Sendable {
        case bytes([UInt8])
        /// The peer finished sending (`reset` is nil) or reset the stream with that code.
        case ended(reset: UInt64?)
        case timedOut
    }

    /// The bytes received since the last read, waiting up to `timeout` for some.
    public func read(timeout: TimeInterval) async throws -> ReadResult {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let (bytes, ended, code) = transport.streamEvents.take(id)
            if !bytes.isEmpty {
                transport.consume(id, bytes.count)
                return .bytes(bytes)
            }
            if ended { return .ended(reset: code) }
            if Date() >= deadline { return .timedOut }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    /// Everything until the peer finishes or resets the stream, or `timeout` passes.
    public func readToEnd(timeout: TimeInterval) async throws -> (bytes: [UInt8], end: ReadResult) {
        let deadline = Date().addingTimeInterval(timeout)
        var all: [UInt8] = []
        while true {
            let result = try await read(timeout: max(0, deadline.timeIntervalSinceNow))
            switch result {
            case .bytes(let bytes): all += bytes
            case .ended, .timedOut: return (all, result)
            }
        }
    }
}

public struct RawTransportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A caller-owned `csync_error` (512 bytes of message).
private final class RawErrorBuffer {
    let pointer = UnsafeMutableRawPointer.allocate(byteCount: 512, alignment: 8)
    init() { pointer.initializeMemory(as: UInt8.self, repeating: 0, count: 512) }
    var text: String { String(cString: pointer.assumingMemoryBound(to: CChar.self)) }
    deinit { pointer.deallocate() }
}

/// The host side of the callbacks: what the plugin reported, under one lock. Callbacks only
/// record; the test's calls into the plugin happen outside them.
private final class RawTransportEvents: @unchecked Sendable {
    private struct StreamState {
        var buffer: [UInt8] = []
        var finished = false
        var resetCode: UInt64?
    }

    private let lock = NSLock()
    private var connections: [UInt64: [UInt8]] = [:]
    private var dialFailures: [[UInt8]: String] = [:]
    private var streams: [UInt64: StreamState] = [:]
    private var incoming: [(id: UInt64, protocolName: String)] = []
    private var logLines: [String] = []

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func connection(to peer: [UInt8]) -> UInt64? {
        locked { connections.first { $0.value == peer }?.key }
    }

    func dialFailure(_ peer: [UInt8]) -> String? { locked { dialFailures[peer] } }

    func registeringStream(_ open: () -> UInt64?) -> Bool {
        locked {
            guard let id = open() else { return false }
            if streams[id] == nil { streams[id] = StreamState() }
            return true
        }
    }

    func takeIncoming(_ protocolName: String) -> UInt64? {
        locked {
            guard let index = incoming.firstIndex(where: { $0.protocolName == protocolName }) else { return nil }
            return incoming.remove(at: index).id
        }
    }

    func take(_ stream: UInt64) -> (bytes: [UInt8], ended: Bool, resetCode: UInt64?) {
        locked {
            guard var state = streams[stream] else { return ([], true, nil) }
            let bytes = state.buffer
            state.buffer = []
            streams[stream] = state
            return (bytes, state.finished || state.resetCode != nil, state.resetCode)
        }
    }

    var logText: String { locked { logLines.joined(separator: "\n") } }

    private static func events(_ context: UnsafeMutableRawPointer?) -> RawTransportEvents {
        Unmanaged<RawTransportEvents>.fromOpaque(context!).takeUnretainedValue()
    }

    private static func text(_ pointer: UnsafePointer<CChar>?) -> String { pointer.map { String(cString: $0) } ?? "" }

    static func install(into host: UnsafeMutableRawPointer) {
        typealias LogFn = @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?) -> Void
        typealias OpenedFn = @convention(c) (UnsafeMutableRawPointer?, UInt64, UnsafePointer<UInt8>?, Int32, UnsafePointer<CChar>?) -> Void
        typealias ClosedFn = @convention(c) (UnsafeMutableRawPointer?, UInt64, Int32, UnsafePointer<CChar>?) -> Void
        typealias DialFailedFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, UnsafePointer<CChar>?) -> Void
        typealias StreamOpenedFn = @convention(c) (UnsafeMutableRawPointer?, UInt64, UInt64, UnsafePointer<CChar>?) -> Void
        typealias DataFn = @convention(c) (UnsafeMutableRawPointer?, UInt64, UnsafePointer<UInt8>?, Int, Int32) -> Void
        typealias WritableFn = @convention(c) (UnsafeMutableRawPointer?, UInt64) -> Void
        typealias ResetFn = @convention(c) (UnsafeMutableRawPointer?, UInt64, UInt64) -> Void

        let log: LogFn = { context, level, message in
            let events = RawTransportEvents.events(context)
            events.locked { events.logLines.append("[\(level)] \(RawTransportEvents.text(message))") }
        }
        let opened: OpenedFn = { context, connection, peer, _, _ in
            guard let peer else { return }
            let events = RawTransportEvents.events(context)
            let id = Array(UnsafeBufferPointer(start: peer, count: 32))
            events.locked { events.connections[connection] = id }
        }
        let closed: ClosedFn = { context, connection, code, reason in
            let events = RawTransportEvents.events(context)
            events.locked {
                events.connections[connection] = nil
                events.logLines.append("connection \(connection) closed (\(code)): \(RawTransportEvents.text(reason))")
            }
        }
        let dialFailed: DialFailedFn = { context, peer, reason in
            guard let peer else { return }
            let events = RawTransportEvents.events(context)
            let id = Array(UnsafeBufferPointer(start: peer, count: 32))
            events.locked { events.dialFailures[id] = RawTransportEvents.text(reason) }
        }
        let streamOpened: StreamOpenedFn = { context, _, stream, name in
            let events = RawTransportEvents.events(context)
            events.locked {
                events.streams[stream] = StreamState()
                events.incoming.append((stream, RawTransportEvents.text(name)))
            }
        }
        let data: DataFn = { context, stream, bytes, count, fin in
            let events = RawTransportEvents.events(context)
            events.locked {
                var state = events.streams[stream] ?? StreamState()
                if let bytes, count > 0 { state.buffer += UnsafeBufferPointer(start: bytes, count: count) }
                if fin != 0 { state.finished = true }
                events.streams[stream] = state
            }
        }
        let writable: WritableFn = { _, _ in }
        let reset: ResetFn = { context, stream, code in
            let events = RawTransportEvents.events(context)
            events.locked {
                var state = events.streams[stream] ?? StreamState()
                state.resetCode = code
                events.streams[stream] = state
            }
        }
        typealias Host = RawPluginTransport.Layout.Host
        host.storeBytes(of: unsafeBitCast(log, to: UnsafeRawPointer.self), toByteOffset: Host.log, as: UnsafeRawPointer.self)
        host.storeBytes(of: unsafeBitCast(opened, to: UnsafeRawPointer.self), toByteOffset: Host.connectionOpened, as: UnsafeRawPointer.self)
        host.storeBytes(of: unsafeBitCast(closed, to: UnsafeRawPointer.self), toByteOffset: Host.connectionClosed, as: UnsafeRawPointer.self)
        host.storeBytes(of: unsafeBitCast(dialFailed, to: UnsafeRawPointer.self), toByteOffset: Host.dialFailed, as: UnsafeRawPointer.self)
        host.storeBytes(of: unsafeBitCast(streamOpened, to: UnsafeRawPointer.self), toByteOffset: Host.streamOpened, as: UnsafeRawPointer.self)
        host.storeBytes(of: unsafeBitCast(data, to: UnsafeRawPointer.self), toByteOffset: Host.streamData, as: UnsafeRawPointer.self)
        host.storeBytes(of: unsafeBitCast(writable, to: UnsafeRawPointer.self), toByteOffset: Host.streamWritable, as: UnsafeRawPointer.self)
        host.storeBytes(of: unsafeBitCast(reset, to: UnsafeRawPointer.self), toByteOffset: Host.streamReset, as: UnsafeRawPointer.self)
    }
}
