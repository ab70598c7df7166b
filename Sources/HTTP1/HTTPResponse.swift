import AsyncIO
import Glibc

/// What a responder answers: status, headers and a body that is either whole or streamed.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: HTTPStatus
    /// Header fields; the server sets the framing ones itself (`Content-Length`,
    /// `Transfer-Encoding`, `Connection`).
    public var headers: HTTPHeaders
    /// The body, whole or streamed.
    public var body: Body

    /// How the body is sent: whole, or part by part as it is produced.
    public enum Body: Sendable {
        /// A sized body, sent with `Content-Length`.
        case bytes([UInt8])
        /// A body produced part by part (server-sent events): sent chunked to HTTP/1.1
        /// clients, close-delimited to HTTP/1.0 ones. The closure returns when the body ends;
        /// if it throws, the connection is closed without the final chunk so the client can
        /// tell the body was cut short.
        case stream(@Sendable (HTTPBodyWriter) async throws -> Void)
    }

    /// A response with any body; empty by default.
    public init(status: HTTPStatus, headers: HTTPHeaders = [:], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A sized response with a content type.
    public init(status: HTTPStatus, contentType: String, body: [UInt8]) {
        self.init(status: status, headers: ["Content-Type": contentType], body: .bytes(body))
    }
}

/// Writes the parts of a streamed response body.
public struct HTTPBodyWriter: Sendable {
    let connection: any ByteStream
    let chunked: Bool
    let deadlineAfter: Duration

    /// Sends one part; an empty part sends nothing (an empty chunk would end the body).
    public func write(_ bytes: [UInt8]) async throws(ByteStreamError) {
        guard !bytes.isEmpty else { return }
        var framed: [UInt8] = []
        if chunked {
            framed.reserveCapacity(bytes.count + 12)
            ChunkedEncoding.chunk(bytes, into: &framed)
        }
        try await connection.send(chunked ? framed : bytes, deadline: .after(deadlineAfter))
    }
}
