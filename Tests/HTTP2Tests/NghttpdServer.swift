import AsyncIO
import HTTP2
import TestSupport

extension Nghttpd {
    /// A new HTTP/2 connection to it: h2c with prior knowledge, or TLS with ALPN h2.
    func connect(configuration: HTTP2Configuration = .init()) async throws -> HTTP2Connection {
        let stream = try await Nghttpd.openStream(port: port, tls: tls)
        return try HTTP2Connection.start(over: stream, configuration: configuration)
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
