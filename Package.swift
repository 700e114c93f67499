// swift-tools-version:6.1
import PackageDescription

/// `--static-swift-stdlib` links executables with `-export-dynamic`: every
/// Swift symbol of the program goes into its dynamic symbol table (22,000
/// of them), which the loader searches on every start before each library
/// symbol it binds. Nothing looks them up, so the executables export none.
let exportingNoSymbols: [LinkerSetting] = [.unsafeFlags(["-Xlinker", "--no-export-dynamic"], .when(platforms: [.linux]))]

let package = Package(
    name: "railyard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "railyard-server", targets: ["railyard-server"]),
        .executable(name: "railyard", targets: ["railyard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Default traits off: no swift-configuration in the build.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Pure engine logic: files, SQL lexer, planner. No C dependency.
        .target(name: "RailyardCore"),
        // The API's JSON shapes, shared by the server and the CLI.
        .target(name: "RailyardAPI", dependencies: ["RailyardCore"]),
        // Thin libpq layer.
        .target(name: "PostgresClient", dependencies: ["CLibPQ"]),
        // Applies migrations: lock, tracking tables, runner, embedded cluster.
        .target(
            name: "RailyardEngine",
            dependencies: [
                "RailyardCore", "PostgresClient", "CLibCrypto",
            ]
        ),
        // The admin REST API (Hummingbird 2).
        .target(
            name: "RailyardServer",
            dependencies: [
                "RailyardEngine", "RailyardCore", "RailyardAPI", "PostgresClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.embedInCode("openapi.yaml")]
        ),
        .executableTarget(
            name: "railyard-server",
            dependencies: [
                "RailyardEngine", "RailyardServer", "RailyardAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: exportingNoSymbols
        ),

        // The CLI's HTTP client on libcurl.
        .target(name: "RailyardHTTP", dependencies: ["CLibCurl"]),
        // The CLI: the admin API remotely, new and lint locally. No libpq.
        .executableTarget(
            name: "railyard",
            dependencies: [
                "RailyardCore", "RailyardAPI", "RailyardHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: exportingNoSymbols
        ),

        // What the PostgreSQL-backed suites share: a test database, migration
        // folders, child processes, a served API, scripted peers, PgBouncer.
        .target(name: "RailyardTestSupport", dependencies: ["RailyardEngine", "PostgresClient"], path: "Tests/Support"),
        .testTarget(name: "RailyardCoreTests", dependencies: ["RailyardCore"]),
        .testTarget(name: "PostgresClientTests", dependencies: ["PostgresClient", "RailyardTestSupport"]),
        .testTarget(name: "RailyardEngineTests", dependencies: ["RailyardEngine", "PostgresClient", "RailyardTestSupport"]),
        .testTarget(name: "RailyardServerTests", dependencies: ["RailyardServer", "RailyardAPI", "RailyardTestSupport"]),
        // The suites that start railyard-server and railyard as a user would.
        .testTarget(name: "RailyardEndToEndTests", dependencies: ["RailyardEngine", "PostgresClient", "RailyardTestSupport"]),
    ]
)
