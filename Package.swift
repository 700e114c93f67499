// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "railyard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "railyard-server", targets: ["railyard-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // Pure engine logic: files, SQL lexer, planner. No C dependency.
        .target(name: "RailyardCore"),
        // Thin libpq layer.
        .target(name: "PostgresClient", dependencies: ["CLibPQ"]),
        // Applies migrations: lock, tracking tables, runner, embedded cluster.
        .target(
            name: "RailyardEngine",
            dependencies: [
                "RailyardCore", "PostgresClient", "CLibCrypto",
            ]
        ),
        .executableTarget(
            name: "railyard-server",
            dependencies: [
                "RailyardEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "RailyardCoreTests", dependencies: ["RailyardCore"]),
        .testTarget(name: "RailyardEngineTests", dependencies: ["RailyardEngine", "PostgresClient"]),
    ]
)
