/// Where the bundled store listens, where it keeps its data, and how large an upload it accepts.
public struct CANStoreConfiguration: Sendable {
    /// Address to bind; keep it on loopback unless the store is meant to be reachable from elsewhere.
    public var host: String
    /// TCP port; 0 lets the kernel choose (the chosen port is reported through `onServerRunning`).
    public var port: Int
    /// Directory holding every index's database and content files; created if missing.
    public var dataDirectory: String
    /// Requests whose body is larger than this are refused with 413.
    public var maxBodyBytes: Int64
    /// Reported by `/health`.
    public var version: String
    /// Offer partial uploads (`/partial/{hash}`), the extension through which a node's downloads land
    /// in the store as they arrive; off, the store serves only the CAN Service API itself.
    public var partialUploads: Bool

    /// The CAN Service's well-known port.
    public static let defaultPort = 3210
    /// 64 GiB: larger than any single file the project expects to sync.
    public static let defaultMaxBodyBytes: Int64 = 64 << 30

    public init(host: String = "127.0.0.1", port: Int = CANStoreConfiguration.defaultPort,
                dataDirectory: String = "./can_service_data",
                maxBodyBytes: Int64 = CANStoreConfiguration.defaultMaxBodyBytes,
                version: String = "can-sync-store/1", partialUploads: Bool = true) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.maxBodyBytes = maxBodyBytes
        self.version = version
        self.partialUploads = partialUploads
    }
}
