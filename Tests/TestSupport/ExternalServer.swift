import AsyncIO
import Foundation

/// A server program started by a test (nghttpd, nginx) on a free loopback port, its output
/// in a log file, stopped when the value goes away. Tests that need one skip when the
/// program is not installed (`scripts/install-deps` installs them).
public final class ExternalServer: Sendable {
    /// The loopback port it listens on.
    public let port: Int
    /// Where its standard output and error go.
    public let logFile: String
    private let process: Process

    /// Whether `path` is an executable here.
    public static func isInstalled(_ path: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: path)
    }

    /// A port nothing listens on now (the kernel's pick, released for the program to take).
    public static func freePort() throws -> Int {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        return listener.localAddress.port
    }

    /// Runs `executable` with `arguments(port)` and waits until the port accepts connections.
    public init(executable: String, port: Int? = nil, arguments: (Int) -> [String]) async throws {
        let port = try port ?? Self.freePort()
        self.port = port
        logFile = NSTemporaryDirectory() + "external-server-\(getpid())-\(port).log"
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments(port)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let address = SocketAddress(ip: "127.0.0.1", port: port)!
        let accepting = await poll(within: .seconds(10)) {
            guard let connection = try? await TCPConnection.connect(to: address) else { return false }
            connection.close()
            return true
        }
        guard accepting else {
            process.terminate()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "\(executable) did not listen on \(port)"])
        }
    }

    deinit {
        // Not waitUntilExit: on Linux it spins a run loop that can miss the exit when called
        // from a task's thread. Foundation reaps the child when it ends.
        process.terminate()
    }

    /// What it has written so far.
    public var log: String {
        (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
    }
}
