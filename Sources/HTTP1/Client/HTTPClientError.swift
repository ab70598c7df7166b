import AsyncIO
import HTTP2

/// What an upstream exchange failed with; each case says which step failed.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL is not an absolute http(s) URL.
    case invalidURL(String)
    /// The request cannot be sent as given (a header with a line break, say).
    case invalidRequest(String)
    /// Name resolution or the TCP connection failed.
    case connectFailed(origin: String, IOError)
    /// The TLS handshake failed, the certificate was refused, or a TLS record was bad.
    case tls(TLSError)
    /// The connection failed after it was established.
    case io(IOError)
    /// The upstream sent something that is not HTTP/1.x.
    case invalidResponse(HTTPParseError)
    /// The upstream closed the connection before the response was complete.
    case closedEarly(String)
    /// A deadline passed: "connect to ...", "response head from ...", "response body from ...".
    case timedOut(String)
    /// The waiting task was cancelled; the connection was closed.
    case cancelled
    /// Every connection the pool may open to the origin was busy for the whole pool
    /// timeout (`HTTPClient.Configuration.poolTimeout`): the upstream was never asked.
    case poolTimedOut(origin: String, waited: Duration)
    /// The origin's name resolved to an address `Configuration.admitsAddress` refused: no
    /// connection was made.
    case addressRefused(origin: String, address: String)

    /// What failed, for a log line or an error message.
    public var description: String {
        switch self {
        case .invalidURL(let url): "not an http(s) URL: \(url)"
        case .invalidRequest(let reason): "invalid request: \(reason)"
        case let .connectFailed(origin, error): "cannot connect to \(origin): \(error)"
        case .tls(let error): error.description
        case .io(let error): error.description
        case .invalidResponse(let error): "invalid response: \(error.reason)"
        case .closedEarly(let what): "the upstream closed the connection \(what)"
        case .timedOut(let what): "\(what) timed out"
        case .cancelled: "the request was cancelled"
        case let .addressRefused(origin, address): "\(origin) resolves to \(address), which this client may not connect to"
        case let .poolTimedOut(origin, waited):
            "no connection to \(origin) came free in \(waited.components.seconds * 1000 + waited.components.attoseconds / 1_000_000_000_000_000) ms (all busy at the pool's limit)"
        }
    }

    /// Maps a stream error into this type, naming what timed out.
    static func from(_ error: ByteStreamError, timing what: @autoclosure () -> String) -> HTTPClientError {
        switch error {
        case .io(.timedOut): .timedOut(what())
        case .io(.cancelled): .cancelled
        case .io(let error): .io(error)
        case .tls(let error): .tls(error)
        }
    }

    /// Maps an HTTP/2 stream's failure into this type, naming what timed out.
    static func from(_ error: HTTP2Error, timing what: @autoclosure () -> String) -> HTTPClientError {
        switch error {
        case .timedOut: .timedOut(what())
        case .cancelled: .cancelled
        case .invalidRequest(let reason): .invalidRequest(reason)
        case .refused, .reset, .connectionLost, .unresponsive: .closedEarly("before \(what()) was complete (\(error))")
        }
    }
}
