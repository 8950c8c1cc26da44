// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", exact: "1.21.1"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "SluiceCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "SluiceStorage",
            dependencies: ["SluiceCore", "CSQLite", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "SluiceQueues",
            dependencies: ["SluiceCore", "SluiceStorage", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "SluiceTopics",
            dependencies: ["SluiceCore", "SluiceStorage", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "SluiceFunctions",
            dependencies: [
                "SluiceCore", "SluiceStorage", "SluiceQueues", "SluiceTopics",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "SluiceMetrics",
            dependencies: []
        ),
        .target(
            name: "SluiceWire",
            dependencies: ["SluiceCore"]
        ),
        .target(
            name: "SluiceHTTP",
            dependencies: [
                "SluiceCore", "SluiceWire", "SluiceQueues", "SluiceTopics", "SluiceFunctions",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "SluiceServer",
            dependencies: [
                "SluiceCore", "SluiceStorage", "SluiceQueues", "SluiceTopics", "SluiceFunctions", "SluiceHTTP", "SluiceMetrics",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore"]),
        .testTarget(name: "SluiceWireTests", dependencies: ["SluiceWire", "SluiceCore"]),
        .testTarget(name: "SluiceQueuesTests", dependencies: ["SluiceQueues", "SluiceStorage", "SluiceCore"]),
        .testTarget(name: "SluiceServerTests", dependencies: ["SluiceServer"]),
        .testTarget(name: "SluiceTopicsTests", dependencies: ["SluiceTopics", "SluiceCore"]),
        .testTarget(name: "SluiceMetricsTests", dependencies: ["SluiceMetrics"]),
        .testTarget(name: "SluiceFunctionsTests", dependencies: ["SluiceFunctions", "SluiceQueues", "SluiceCore"]),
    ]
)
