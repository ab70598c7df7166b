// swift-tools-version:6.1
import PackageDescription

/// Benchmarks pull in ordo-one/benchmark and its malloc interposer; they are built only when
/// asked (`CHUTES_PROXY_BENCHMARKS=1 swift package benchmark`) so `swift test` stays fast.
let benchmarksEnabled = Context.environment["CHUTES_PROXY_BENCHMARKS"] != nil
/// The libFuzzer harness links libFuzzer's own `main`; it is built only by `scripts/fuzz`
/// (`CHUTES_PROXY_FUZZ=1`, with `-sanitize=fuzzer,address` in its own scratch path).
let fuzzingEnabled = Context.environment["CHUTES_PROXY_FUZZ"] != nil
/// `scripts/sanitize thread` sets this: `Locking.Mutex` becomes a pthread lock that
/// ThreadSanitizer can see (Sources/Locking/Mutex.swift says why).
let threadSanitizerLocks = Context.environment["CHUTES_PROXY_TSAN"] != nil

var package = Package(
    name: "claude-chutes-proxy",
    products: [
        .executable(name: "claude-chutes-proxy", targets: ["claude-chutes-proxy"]),
        .library(name: "ChutesProxy", targets: ["ChutesProxy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
        // libnghttp2: HTTP/2 framing, HPACK and stream states for the upstream client
        // (ARCHITECTURE.md says why it is not written here).
        .systemLibrary(
            name: "CNghttp2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        // The lock type every module uses; a ThreadSanitizer-visible one in the TSan build.
        .target(
            name: "Locking",
            swiftSettings: threadSanitizerLocks ? [.define("SANITIZE_THREAD")] : []
        ),
        .target(name: "AsyncIO", dependencies: ["CSyscalls", "COpenSSL", "Locking"]),
        .target(name: "HTTP2", dependencies: ["AsyncIO", "CNghttp2", "Locking"]),
        .target(name: "HTTP1", dependencies: ["AsyncIO", "HTTP2", "Locking"]),
        .target(name: "JSON"),
        .target(name: "Translation", dependencies: ["JSON", "Locking"]),
        .target(
            name: "ChutesProxy",
            dependencies: [
                "HTTP1", "JSON", "Translation", "Locking",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "claude-chutes-proxy",
            dependencies: [
                "ChutesProxy",
                "CSyscalls",
                "Locking",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Helpers the test targets share (certificates made at test time).
        .target(name: "TestSupport", dependencies: ["AsyncIO", "HTTP1", "JSON", "Translation", "Locking"], path: "Tests/TestSupport"),
        .testTarget(name: "AsyncIOTests", dependencies: ["AsyncIO", "CSyscalls", "TestSupport"]),
        .testTarget(name: "HTTP2Tests", dependencies: ["HTTP2", "HTTP1", "AsyncIO", "CNghttp2", "Locking", "TestSupport"]),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1", "Locking", "TestSupport"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "TranslationTests", dependencies: ["Translation", "JSON", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ChutesProxyTests", dependencies: ["ChutesProxy", "HTTP1", "AsyncIO", "Locking", "TestSupport"]),
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

if fuzzingEnabled {
    package.targets.append(
        .executableTarget(
            name: "ProxyFuzzer",
            dependencies: ["ChutesProxy", "HTTP1", "HTTP2", "JSON", "Translation", "TestSupport"],
            path: "Fuzz/ProxyFuzzer"
        )
    )
}
