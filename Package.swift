// swift-tools-version: 6.1
import PackageDescription

// Linux only, and said so: the C shims spawn children with prctl(PR_SET_PDEATHSIG) and pipe2,
// which macOS lacks, and nothing here is built or tested on macOS. No platform is claimed until a
// macOS build runs in CI (it would need `platforms: [.macOS(.v15)]`, for Mutex and Duration).
let package = Package(
    name: "Junction",
    products: [
        .executable(name: "junction", targets: ["junction"]),
        .library(name: "JunctionCore", targets: ["JunctionCore"]),
        .library(name: "JunctionStore", targets: ["JunctionStore"]),
        .library(name: "JunctionGateway", targets: ["JunctionGateway"]),
        .library(name: "JunctionInstall", targets: ["JunctionInstall"]),
        .library(name: "JunctionServer", targets: ["JunctionServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
    ],
    targets: [
        // Pure domain: models, validation, globs, routing. No I/O, no GRDB.
        .target(name: "JunctionCore"),
        // SQLite (GRDB), migrations, repositories, sealed secrets.
        .target(
            name: "JunctionStore",
            dependencies: [
                "JunctionCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // C shims (Linux): close-on-exec pipes and unix sockets, a TCP port probe, the child spawner
        // (fork/exec from one thread, parent-death signal, only fds 0-2 inherited), the children's
        // guardian, the daemon's signals and its forced exit.
        .target(name: "CJunctionShims"),
        // MCP engine: downstream processes (their pipes as NIO channels) and remote servers (HTTP,
        // OAuth), the pool, sessions, audit and caches wired together.
        .target(
            name: "JunctionGateway",
            dependencies: [
                "JunctionCore", "JunctionStore", "CJunctionShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The daemon: REST/SSE admin API and /mcp (Hummingbird), the web UI, the unix-socket
        // listener, the event feeds, the doctor; and the CLI's client of that API over the socket.
        .target(
            name: "JunctionServer",
            dependencies: [
                "JunctionCore", "JunctionStore", "JunctionGateway", "JunctionInstall", "CJunctionShims",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                // The CLI's client of the daemon's API over `http+unix://` (LocalAPIClient).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // Configuration documents (`junction config`, `/api/v1/config`) in YAML.
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Client configuration writers and readers: install, uninstall, preview, import.
        .target(name: "JunctionInstall", dependencies: ["JunctionCore", "JunctionStore"]),
        // Thin CLI: every command calls a library target.
        .executableTarget(
            name: "junction",
            dependencies: [
                "JunctionCore",
                "JunctionStore",
                "JunctionGateway",
                "JunctionInstall",
                "JunctionServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Routing resolution benchmark (scripts/bench); release builds only for numbers.
        .executableTarget(
            name: "RoutingBench",
            dependencies: ["JunctionCore"],
            path: "Benchmarks/RoutingBench"
        ),
        // Audit throughput benchmark (scripts/bench): the batched writer into a real SQLite file.
        .executableTarget(
            name: "AuditBench",
            dependencies: ["JunctionCore", "JunctionStore"],
            path: "Benchmarks/AuditBench"
        ),
        .testTarget(name: "JunctionCoreTests", dependencies: ["JunctionCore"]),
        .testTarget(
            name: "JunctionStoreTests",
            dependencies: ["JunctionStore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "JunctionGatewayTests",
            dependencies: [
                "JunctionGateway",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "JunctionServerTests",
            dependencies: [
                "JunctionServer", "JunctionGateway", "JunctionStore", "JunctionInstall", "CJunctionShims",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "JunctionCLITests", dependencies: ["JunctionStore", "junction"]),
        .testTarget(name: "JunctionInstallTests", dependencies: ["JunctionInstall", "JunctionStore", "junction"]),
    ],
    swiftLanguageModes: [.v6]
)
