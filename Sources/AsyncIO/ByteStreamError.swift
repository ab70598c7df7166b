import Glibc

/// What reading or writing a `ByteStream` failed with: one type to switch on, whether the
/// stream is plain TCP or TLS.
public enum ByteStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The socket failed, timed out, was closed or the task cancelled.
    case io(IOError)
    /// TLS failed above the socket (a bad record, a missing close_notify).
    case tls(TLSError)

    /// Sorts a TLS failure: one of the socket underneath is `.io`.
    public init(_ error: TLSError) {
        if case .io(let error) = error { self = .io(error) } else { self = .tls(error) }
    }

    /// Whether the operation's deadline passed.
    public var isTimeout: Bool {
        if case .io(.timedOut) = self { true } else { false }
    }

    /// Whether the waiting task was cancelled.
    public var isCancellation: Bool {
        if case .io(.cancelled) = self { true } else { false }
    }

    /// Whether the peer went away: reset, broken pipe, or TLS ended without close_notify or
    /// with a bad record.
    public var isPeerGone: Bool {
        switch self {
        case .io(.systemCall(_, let code, _)): code == ECONNRESET || code == EPIPE || code == ECONNABORTED
        case .tls(.unexpectedEOF), .tls(.protocolError): true
        default: false
        }
    }

    /// The underlying error, for a person.
    public var description: String {
        switch self {
        case .io(let error): error.description
        case .tls(let error): error.description
        }
    }
}
