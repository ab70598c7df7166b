import AsyncIO
import Foundation

@testable import ChutesProxy

/// A real `redis-server` on a free loopback port, in a directory of its own, with nothing
/// saved to disk; stopped and started again on the same port by `restart`.
final class RedisServerProcess: @unchecked Sendable {
    static let executable = "/usr/bin/redis-server"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    let port: Int
    let directory: String
    private var process: Process?

    init() async throws {
        // A port the kernel picked, released for the server to bind.
        let probe = try TCPListener(host: "127.0.0.1", port: 0)
        port = probe.localAddress.port
        probe.close()
        directory = NSTemporaryDirectory() + "chutes-redis-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await start()
    }

    var url: String { "redis://127.0.0.1:\(port)" }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory, "--daemonize", "no"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Ready when it answers PING: asked until it does, for up to 10 s.
        let client = RedisClient(url: try RedisURL(url), timeout: .seconds(1))
        defer { client.shutdown() }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if (try? await client.run(["PING"])) == .simple("PONG") { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CocoaError(.executableLoad)
    }

    /// Kills it at once. SIGKILL, because the server inherits the signal mask of the thread
    /// that started it, and the test process's threads may block SIGTERM.
    func stop() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
