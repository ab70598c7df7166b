// swift-tools-version:6.1
import PackageDescription

// An application that embeds the proxy as a library and adds a route of its own.
let package = Package(
    name: "EmbeddedProxy",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "claude-chutes-proxy", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "EmbeddedProxy",
            dependencies: [.product(name: "ChutesProxy", package: "claude-chutes-proxy")]
        )
    ]
)
