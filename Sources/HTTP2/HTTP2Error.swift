/// Why an HTTP/2 stream or connection failed.
public enum HTTP2Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server refused the stream before processing it (RST_STREAM REFUSED_STREAM, or a
    /// GOAWAY whose last stream id is below it): the request can be sent again elsewhere.
    case refused
    /// The server reset the stream with this HTTP/2 error code.
    case reset(code: UInt32)
    /// The connection ended (closed, failed, or broken by a protocol error) before the
    /// stream did.
    case connectionLost(String)
    /// The connection answered no PING within the timeout.
    case unresponsive
    /// A deadline passed while waiting for the response head or the next body bytes.
    case timedOut
    /// The waiting task was cancelled; the stream was reset.
    case cancelled
    /// The request cannot be sent as given.
    case invalidRequest(String)

    /// What failed, for a log line or an error message.
    public var description: String {
        switch self {
        case .refused: "the HTTP/2 server refused the stream (not processed)"
        case .reset(let code): "the HTTP/2 server reset the stream (error code \(code))"
        case .connectionLost(let why): "the HTTP/2 connection ended: \(why)"
        case .unresponsive: "the HTTP/2 connection answered no PING in time"
        case .timedOut: "timed out"
        case .cancelled: "the request was cancelled"
        case .invalidRequest(let why): "invalid request: \(why)"
        }
    }
}
