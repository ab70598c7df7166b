// swift-tools-version:6.1
import PackageDescription

/// Benchmarks pull in ordo-one/benchmark and its malloc interposer; they are built only when
/// asked (`CHUTES_PROXY_BENCHMARKS=1 swift package benchmark`) so `swift test` stays fast.
let benchmarksEnabled = Context.environment["CHUTES_PROXY_BENCHMARKS"] != nil

var package = Package(
    name: "claude-chutes-proxy",
    products: [
        .executable(name: "claude-chutes-proxy", targets: ["claude-chutes-proxy"]),
        .library(name: "ChutesProxy", targets: ["ChutesProxy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // The few system calls Glibc does not export to Swift: epoll, eventfd, accept4.
        .target(name: "CSyscalls"),
        // OpenSSL headers plus static inline shims for its function-like macros.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "AsyncIO", dependencies: ["CSyscalls", "COpenSSL"]),
        .target(name: "HTTP1", dependencies: ["AsyncIO"]),
        .target(name: "JSON"),
        .target(name: "Translation", dependencies: ["JSON"]),
        .target(
            name: "ChutesProxy",
            dependencies: [
                "HTTP1", "JSON", "Translation",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "claude-chutes-proxy",
            dependencies: [
                "ChutesProxy",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Helpers the test targets share (certificates made at test time).
        .target(name: "TestSupport", dependencies: ["JSON", "Translation"], path: "Tests/TestSupport"),
        .testTarget(name: "AsyncIOTests", dependencies: ["AsyncIO", "TestSupport"]),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1", "TestSupport"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "TranslationTests", dependencies: ["Translation", "JSON", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ChutesProxyTests", dependencies: ["ChutesProxy", "HTTP1", "AsyncIO", "TestSupport"]),
    ]
)

if benchmarksEnabled {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"])
    )
    package.targets.append(
        .executableTarget(
            name: "ProxyBenchmarks",
            dependencies: [
                "JSON", "Translation", "HTTP1",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ProxyBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
}
