/// A plugin's view of the host: the `csync_host_api` table behind Swift methods.
public struct HostServices: @unchecked Sendable {
    public let api: UnsafePointer<csync_host_api>

    public init(_ api: UnsafePointer<csync_host_api>) {
        self.api = api
    }

    private var context: UnsafeMutableRawPointer? { api.pointee.host_ctx }

    /// This node's id: its 32-byte Ed25519 public key.
    public var nodeID: [UInt8] { Array(UnsafeBufferPointer(start: api.pointee.node_id, count: 32)) }

    /// The node's 64-byte secret key, handed to transport plugins only.
    public var nodeSecretKey: [UInt8]? {
        api.pointee.node_secret_key.map { Array(UnsafeBufferPointer(start: $0, count: 64)) }
    }

    public var syncPassphrase: String { api.pointee.sync_passphrase.map { String(cString: $0) } ?? "" }
    public var dataDirectory: String { api.pointee.data_dir.map { String(cString: $0) } ?? "." }

    public func log(_ level: csync_log_level, _ message: String) {
        api.pointee.log?(context, level, message)
    }

    // MARK: Discovery services

    public func peerDiscovered(_ nodeID: [UInt8], addresses: [String], source: String) {
        precondition(nodeID.count == 32, "node ids are 32 bytes")
        withCStringArray(addresses) { pointers in
            nodeID.withUnsafeBufferPointer { id in
                api.pointee.peer_discovered?(context, id.baseAddress, pointers.baseAddress, addresses.count, source)
            }
        }
    }

    /// The addresses this node can be reached at.
    public func localAddresses() -> [String] {
        guard let call = api.pointee.local_addresses else { return [] }
        var capacity = 256
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            let needed = call(context, &buffer, capacity)
            if needed < capacity {
                return String(cString: buffer).split(separator: "\n").map(String.init)
            }
            capacity = needed + 1
        }
    }

    /// Calls `handler` for every library membership change, starting with the current memberships.
    public func subscribeLibraries(_ handler: @escaping @Sendable (LibraryMembership) -> Void) {
        let box = Unmanaged.passRetained(LibraryHandlerBox(handler)).toOpaque()
        api.pointee.subscribe_libraries?(context, { user, event in
            guard let user, let event else { return }
            Unmanaged<LibraryHandlerBox>.fromOpaque(user).takeUnretainedValue().handler(LibraryMembership(event.pointee))
        }, box)
    }

    /// Sends a message to this same plugin on another node.
    @discardableResult
    public func sendMessage(to nodeID: [UInt8], _ data: [UInt8]) -> csync_status {
        guard let send = api.pointee.send_message else { return CSYNC_ERR_UNSUPPORTED }
        return nodeID.withUnsafeBufferPointer { id in
            data.withUnsafeBufferPointer { bytes in send(context, id.baseAddress, bytes.baseAddress, bytes.count) }
        }
    }
}

/// One library membership change as a discovery plugin sees it.
public struct LibraryMembership: Sendable {
    public var libraryID: String
    public var joined: Bool
    /// 32 bytes derived from the library secret; only members know it.
    public var topicKey: [UInt8]
    /// Peers named by the ticket the library was joined with.
    public var bootstrapIDs: [[UInt8]]

    init(_ event: csync_library_event) {
        libraryID = String(cString: event.library_id)
        joined = event.joined != 0
        topicKey = Array(UnsafeBufferPointer(start: event.topic_key, count: 32))
        bootstrapIDs = (0..<event.n_bootstrap).map { index in
            Array(UnsafeBufferPointer(start: event.bootstrap_ids + index * 32, count: 32))
        }
    }
}

private final class LibraryHandlerBox: Sendable {
    let handler: @Sendable (LibraryMembership) -> Void
    init(_ handler: @escaping @Sendable (LibraryMembership) -> Void) { self.handler = handler }
}

/// Calls `body` with a C array of C strings that live for the duration of the call.
public func withCStringArray<Result>(_ strings: [String], _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) throws -> Result) rethrows -> Result {
    let copies = strings.map { text -> UnsafeMutablePointer<CChar> in
        let utf8 = Array(text.utf8CString)
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
        copy.initialize(from: utf8, count: utf8.count)
        return copy
    }
    defer { copies.forEach { $0.deallocate() } }
    let pointers = copies.map { UnsafePointer<CChar>?(UnsafePointer($0)) }
    return try pointers.withUnsafeBufferPointer(body)
}
