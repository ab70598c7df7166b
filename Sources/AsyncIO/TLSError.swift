import COpenSSL

/// What a TLS set-up or exchange failed with, in words a user can act on.
public enum TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configuration step failed: which one, and OpenSSL's reason.
    case configuration(_ step: String, reason: String)
    /// The peer's certificate was refused; `verification` is OpenSSL's verdict in words
    /// ("certificate has expired", "hostname mismatch", ...).
    case certificateRejected(host: String, verification: String)
    /// The handshake failed for another reason (no common protocol version, an alert from
    /// the peer, the peer closing mid-handshake).
    case handshakeFailed(host: String, reason: String)
    /// A record could not be read or written after the handshake.
    case protocolError(reason: String)
    /// The peer closed the connection without TLS's close_notify, so the data may be truncated.
    case unexpectedEOF
    /// The connection underneath failed, timed out, was closed or cancelled.
    case io(IOError)

    /// What failed, for a person.
    public var description: String {
        switch self {
        case let .configuration(step, reason): "TLS configuration failed: \(step): \(reason)"
        case let .certificateRejected(host, verification): "TLS certificate of \(host) rejected: \(verification)"
        case let .handshakeFailed(host, reason): "TLS handshake with \(host) failed: \(reason)"
        case let .protocolError(reason): "TLS error: \(reason)"
        case .unexpectedEOF: "the TLS peer closed the connection without close_notify"
        case let .io(error): error.description
        }
    }

    /// Drains this thread's OpenSSL error queue into one line (`fallback` when it is empty).
    static func drainedReason(fallback: String = "unknown error") -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? fallback : reasons.joined(separator: "; ")
    }
}
