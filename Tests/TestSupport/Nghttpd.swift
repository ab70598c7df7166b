import AsyncIO
import Foundation

/// nghttpd (Debian nghttp2-server), a real HTTP/2 server, on a free port serving a document root made for the
/// test: `small` (13 bytes) and `large` (`largeSize` bytes).
public struct Nghttpd {
    /// Where Debian installs it.
    public static let executable = "/usr/sbin/nghttpd"
    /// Tests that need it are skipped without it.
    public static var isInstalled: Bool { ExternalServer.isInstalled(executable) }
    /// Larger than any window the client uses, so flow control matters.
    public static let largeSize = 2 * 1024 * 1024
    /// The bytes of `large`: a pattern that is not periodic at any window size.
    public static let largeBody = (0..<largeSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }

    /// The process, its port and its log (`-v`: every frame).
    public let server: ExternalServer
    /// Whether it serves TLS (ALPN h2) or h2c.
    public let tls: Bool
    /// Its loopback port.
    public var port: Int { server.port }

    /// `arguments`: more of nghttpd's options (`-m 2`, `--echo-upload`). `-v` logs every
    /// frame, which tests read.
    public init(tls: Bool = false, arguments: [String] = []) async throws {
        let root = NSTemporaryDirectory() + "nghttpd-root-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Data("hello over h2".utf8).write(to: URL(fileURLWithPath: root + "/small"))
        try Data(Self.largeBody).write(to: URL(fileURLWithPath: root + "/large"))
        let certificates = TestCertificates.shared
        self.tls = tls
        server = try await ExternalServer(executable: Self.executable) { port in
            ["-v", "-d", root, "-a", "127.0.0.1"] + arguments + (tls ? [String(port), certificates.server.key, certificates.server.certificate] : ["--no-tls", String(port)])
        }
    }

    /// A socket to it: plain, or TLS offering h2 then http/1.1 in ALPN.
    public static func openStream(port: Int, tls: Bool) async throws -> any ByteStream {
        let connection = try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: port)!, deadline: .after(.seconds(5)))
        guard tls else { return connection }
        var configuration = TLSConfiguration.client(trustRoots: .file(TestCertificates.shared.caFile))
        configuration.applicationProtocols = ["h2", "http/1.1"]
        return try await TLSStream.connect(over: connection, context: TLSContext(configuration), serverName: "localhost", deadline: .after(.seconds(5)))
    }

}
