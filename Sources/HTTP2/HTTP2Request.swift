/// A request for an HTTP/2 stream: the pseudo-header values and the fields, with the whole
/// body in memory.
public struct HTTP2Request: Sendable {
    /// `:method`.
    public var method: String
    /// `:scheme`: "https", or "http" for h2c.
    public var scheme: String
    /// `:authority`: host, and the port when it is not the scheme's default.
    public var authority: String
    /// `:path`: path and query.
    public var path: String
    /// Header fields; names are sent lower-cased, and the fields HTTP/2 forbids
    /// (connection-specific ones, Host) are dropped.
    public var headers: [(name: String, value: String)]
    /// The whole body; empty sends END_STREAM with the headers.
    public var body: [UInt8]

    /// A request as given.
    public init(method: String, scheme: String, authority: String, path: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.scheme = scheme
        self.authority = authority
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// Fields that mean something only to one HTTP/1.1 connection (RFC 9113 section 8.2.2),
    /// and Host, whose value goes into `:authority`.
    static let droppedFields: Set<String> = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host", "te", "content-length"]

    /// The name/value pairs to send, pseudo-headers first, names lower-cased.
    var fields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [(":method", method), (":scheme", scheme), (":authority", authority), (":path", path)]
        for (name, value) in headers {
            let lowered = name.lowercased()
            if Self.droppedFields.contains(lowered) { continue }
            fields.append((lowered, value))
        }
        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) {
            fields.append(("content-length", String(body.count)))
        }
        return fields
    }
}

/// A response's status and header fields (informational 1xx heads are skipped).
public struct HTTP2ResponseHead: Sendable, Equatable {
    /// `:status`.
    public let status: Int
    /// The regular fields, in the order received, names lower-case.
    public let headers: [HTTP2Field]
}

/// One header field as received.
public struct HTTP2Field: Sendable, Equatable {
    /// Lower-case, as HTTP/2 requires.
    public let name: String
    /// The value as sent.
    public let value: String
}
