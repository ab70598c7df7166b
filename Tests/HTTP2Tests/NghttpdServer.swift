import AsyncIO
import Foundation
import HTTP2
import TestSupport

/// nghttpd (Debian nghttp2-server) on a free port serving a document root made for the
/// test: `small` (13 bytes) and `large` (`largeSize` bytes).
struct Nghttpd {
    static let executable = "/usr/sbin/nghttpd"
    static var isInstalled: Bool { ExternalServer.isInstalled(executable) }
    static let largeSize = 2 * 1024 * 1024
    static let largeBody = (0..<largeSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }

    let server: ExternalServer
    let tls: Bool
    var port: Int { server.port }

    /// `arguments`: more of nghttpd's options (`-m 2`, `--echo-upload`). `-v` logs every
    /// frame, which tests read.
    init(tls: Bool = false, arguments: [String] = []) async throws {
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

    /// A new HTTP/2 connection to it: h2c with prior knowledge, or TLS with ALPN h2.
    func connect(configuration: HTTP2Configuration = .init()) async throws -> HTTP2Connection {
        let stream = try await Self.openStream(port: port, tls: tls)
        return try HTTP2Connection.start(over: stream, configuration: configuration)
    }

    static func openStream(port: Int, tls: Bool) async throws -> any ByteStream {
        let connection = try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: port)!, deadline: .after(.seconds(5)))
        guard tls else { return connection }
        var configuration = TLSConfiguration.client(trustRoots: .file(TestCertificates.shared.caFile))
        configuration.applicationProtocols = ["h2", "http/1.1"]
        return try await TLSStream.connect(over: connection, context: TLSContext(configuration), serverName: "localhost", deadline: .after(.seconds(5)))
    }

    func request(_ path: String, method: String = "GET", body: [UInt8] = []) -> HTTP2Request {
        HTTP2Request(method: method, scheme: tls ? "https" : "http", authority: "127.0.0.1:\(port)", path: path, body: body)
    }
}

extension HTTP2Stream {
    /// Reads the body to its end.
    func collectBody(deadline: Deadline = .after(.seconds(10))) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let chunk = try await nextChunk(deadline: deadline) { bytes += chunk }
        return bytes
    }
}
