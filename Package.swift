// swift-tools-version:6.0
import PackageDescription

/// Debian packages the system-library targets link against (installed by scripts/install-deps.sh).
let debianBuildPackages = [
    "libsodium-dev", "libyaml-dev", "libsqlite3-dev", "libcurl4-openssl-dev", "libssl-dev",
    "libngtcp2-dev", "libngtcp2-crypto-gnutls-dev", "libgnutls28-dev", "pkg-config",
]

let package = Package(
    name: "can-sync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "can-sync", targets: ["Host"]),
        .executable(name: "can-service", targets: ["CANServiceCommand"]),
        .executable(name: "pkarr-relay", targets: ["PkarrRelayCommand"]),
        .library(name: "QuicTransport", type: .dynamic, targets: ["QuicTransport"]),
        .library(name: "PkarrDiscovery", type: .dynamic, targets: ["PkarrDiscovery"]),
        .library(name: "GossipDiscovery", type: .dynamic, targets: ["GossipDiscovery"]),
        .library(name: "TicketDiscovery", type: .dynamic, targets: ["TicketDiscovery"]),
        .library(name: "Filters", type: .dynamic, targets: ["Filters"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // System libraries, found through pkg-config.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CYaml", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(
            name: "CNgtcp2", pkgConfig: "libngtcp2_crypto_gnutls",
            providers: [.apt(["libngtcp2-dev", "libngtcp2-crypto-gnutls-dev", "libgnutls28-dev"])]),

        // C shims for what Swift cannot call directly (variadic functions, function-like macros).
        .target(name: "CQuicShims", dependencies: ["CNgtcp2"]),
        .target(name: "CCurlShims", dependencies: ["CCurl"]),

        // The plugin ABI (one C header) and the Swift helpers for writing plugins against it.
        .target(name: "CPluginAPI"),
        .target(name: "PluginAPI", dependencies: ["CPluginAPI"]),

        // The host side of the ABI: loading plugins and driving them from Swift.
        .target(name: "PluginHost", dependencies: ["CPluginAPI", "PluginAPI", "YAMLTree"]),

        // Shared building blocks.
        .target(name: "YAMLTree", dependencies: ["CYaml"]),
        .target(name: "CANModel", dependencies: ["COpenSSL"]),
        .target(name: "Pkarr", dependencies: ["CSodium"]),
        .target(name: "SyncProtocol", dependencies: ["CSodium", "COpenSSL"]),

        // The HTTP client for a CAN Service (the only way the node reaches its store).
        .target(
            name: "CANClient",
            dependencies: [
                "CANModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // The bundled CAN Service-compatible store.
        .target(
            name: "CANStore",
            dependencies: [
                "CANModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "CANServiceCommand",
            dependencies: ["CANStore", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // The pkarr relay the project ships for self-hosting and tests.
        .target(
            name: "PkarrRelay",
            dependencies: [
                "Pkarr",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "PkarrRelayCommand",
            dependencies: ["PkarrRelay", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // The node: config, plugin host, CAN client, libraries, announcer, fetcher, HTTP API.
        .target(
            name: "SyncNode",
            dependencies: [
                "PluginHost", "YAMLTree", "CANModel", "CANClient", "CANStore", "SyncProtocol", "CSodium", "COpenSSL",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "Host",
            dependencies: ["SyncNode", "CMalloc", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Plugins: each a shared library loaded with dlopen.
        .target(name: "QuicTransport", dependencies: ["PluginAPI", "CNgtcp2", "CQuicShims", "CSodium"],
                path: "Plugins/QuicTransport"),
        .target(name: "PkarrDiscovery", dependencies: ["PluginAPI", "Pkarr", "CCurl", "CCurlShims", "CSodium"],
                path: "Plugins/PkarrDiscovery"),
        .target(name: "GossipDiscovery", dependencies: ["PluginAPI", "CSodium"], path: "Plugins/GossipDiscovery"),
        .target(name: "TicketDiscovery", dependencies: ["PluginAPI"], path: "Plugins/TicketDiscovery"),
        .target(name: "Filters", dependencies: ["PluginAPI"], path: "Plugins/Filters"),

        // Benchmarks that need a Swift driver (the rest of bench/ is shell).
        .executableTarget(name: "TransportBench", dependencies: ["PluginHost", "CSodium", "COpenSSL"], path: "bench/TransportBench"),

        // Tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "PluginHostTests", dependencies: [
            "PluginHost", "SyncNode", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "CANStoreTests", dependencies: [
            "CANStore", "CANModel", "CANClient", "TestSupport", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "QuicTransportTests", dependencies: ["PluginHost", "TestSupport", "CSodium", "COpenSSL"]),
        .testTarget(name: "PkarrTests", dependencies: ["Pkarr", "PkarrRelay", "PluginHost", "TestSupport", "CSodium"]),
        .testTarget(name: "DiscoveryPluginTests", dependencies: ["PluginHost", "TestSupport", "CSodium"]),
        .testTarget(name: "NodeIntegrationTests", dependencies: ["CANClient", "CANModel", "PluginHost", "SyncProtocol", "TestSupport"]),
        .testTarget(name: "SyncProtocolTests", dependencies: ["SyncProtocol", "TestSupport"]),
    ]
)
