/// The two protocol versions the server and client speak.
public enum HTTPVersion: Sendable, Equatable {
    case http1_0, http1_1

    var text: String { self == .http1_0 ? "HTTP/1.0" : "HTTP/1.1" }

    /// Whether a message with these fields leaves the connection open, requests and responses
    /// alike: HTTP/1.1 keeps it unless told `close`; HTTP/1.0 closes it unless told `keep-alive`.
    func keepsAlive(_ headers: HTTPHeaders) -> Bool {
        switch self {
        case .http1_1: !headers.contains(token: "close", in: "Connection")
        case .http1_0: headers.contains(token: "keep-alive", in: "Connection")
        }
    }
}

/// A request's line and header fields.
public struct HTTPRequestHead: Sendable, Equatable {
    /// The request's method.
    public var method: HTTPMethod
    /// The request-target as sent, e.g. "/v1/messages?beta=true".
    public var target: String
    /// The version on the request line; HTTP/1.0 changes the keep-alive default.
    public var version: HTTPVersion
    /// The header fields in the order received.
    public var headers: HTTPHeaders

    /// A head as the parser builds it; tests and clients build them too.
    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:]) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
    }

    /// The target before any '?'.
    public var path: String {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target }
        return String(target[..<mark])
    }

    /// The target after the '?', nil when there is none.
    public var query: String? {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return String(target[target.index(after: mark)...])
    }

    /// Whether the client asked to keep the connection (see `HTTPVersion.keepsAlive(_:)`).
    public var keepAlive: Bool { version.keepsAlive(headers) }

    /// Whether the client waits for `100 Continue` before it sends the body (`Expect: 100-continue`).
    public var expectsContinue: Bool {
        headers["Expect"].map { HTTPHeaders.equalIgnoringCase($0.trimmingOptionalWhitespace, "100-continue") } ?? false
    }

    /// The head as sent on the wire, ending with the blank line.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        bytes += method.rawValue.utf8
        bytes.append(UInt8(ascii: " "))
        bytes += target.utf8
        bytes.append(UInt8(ascii: " "))
        bytes += version.text.utf8
        appendFields(headers, to: &bytes)
        return bytes
    }
}

/// A response's status line and header fields.
public struct HTTPResponseHead: Sendable, Equatable {
    /// The status code.
    public var status: HTTPStatus
    /// The reason phrase: as received (clients ignore it), or as the server will send it.
    public var reason: String
    /// The version on the status line; HTTP/1.0 changes the keep-alive default.
    public var version: HTTPVersion
    /// The header fields in the order received or to be sent.
    public var headers: HTTPHeaders

    /// A head with the status's standard reason phrase.
    public init(status: HTTPStatus, headers: HTTPHeaders = [:], version: HTTPVersion = .http1_1) {
        self.init(status: status, reason: status.reasonPhrase, headers: headers, version: version)
    }

    /// A head with the reason phrase as received (the response parser keeps it).
    public init(status: HTTPStatus, reason: String, headers: HTTPHeaders, version: HTTPVersion) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.version = version
    }

    /// The head as sent on the wire, ending with the blank line.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        bytes += version.text.utf8
        bytes.append(UInt8(ascii: " "))
        status.appendCode(to: &bytes)
        bytes.append(UInt8(ascii: " "))
        bytes += reason.utf8
        appendFields(headers, to: &bytes)
        return bytes
    }
}

private func appendFields(_ headers: HTTPHeaders, to bytes: inout [UInt8]) {
    bytes += [13, 10]
    for field in headers {
        bytes += field.name.utf8
        bytes += [UInt8(ascii: ":"), UInt8(ascii: " ")]
        bytes += field.value.utf8
        bytes += [13, 10]
    }
    bytes += [13, 10]
}
