/// A request with a body of known size (the whole body is in memory before it is sent).
public struct HTTPClientRequest: Sendable {
    /// The method; POST, PUT and PATCH always carry a `Content-Length`, even for an empty body.
    public var method: HTTPMethod
    /// Where to send it; its origin picks the connection pool.
    public var url: HTTPURL
    /// Host and Content-Length are set by the client; a Transfer-Encoding given here is dropped.
    public var headers: HTTPHeaders
    /// The whole body, sent with a `Content-Length`.
    public var body: [UInt8]

    /// A request; a GET with no body by default.
    public init(method: HTTPMethod = .get, url: HTTPURL, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The bytes on the wire: request line, headers and body in one buffer (one write).
    func serialized() throws(HTTPClientError) -> [UInt8] {
        guard !method.rawValue.isEmpty, method.rawValue.utf8.allSatisfy(isTokenByte) else {
            throw .invalidRequest("method \(method.rawValue.debugDescription) is not an HTTP token")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + body.count)
        bytes += method.rawValue.utf8
        bytes.append(UInt8(ascii: " "))
        let target = url.requestTarget
        guard !target.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw .invalidRequest("request target \(target.debugDescription) contains spaces or control characters")
        }
        bytes += target.utf8
        bytes += " HTTP/1.1\r\n".utf8
        if let unsafe = headers.firstUnsafeField {
            throw .invalidRequest("header \(unsafe.name.debugDescription) is not an HTTP token or its value contains CR, LF or NUL")
        }
        if headers["host"] == nil { append(name: "Host", value: url.hostHeader, to: &bytes) }
        for (name, value) in headers {
            if HTTPHeaders.equalIgnoringCase(name, "content-length") || HTTPHeaders.equalIgnoringCase(name, "transfer-encoding") { continue }
            append(name: name, value: value, to: &bytes)
        }
        if !body.isEmpty || [HTTPMethod.post, .put, .patch].contains(method) {
            append(name: "Content-Length", value: String(body.count), to: &bytes)
        }
        bytes += "\r\n".utf8
        bytes += body
        return bytes
    }

    private func append(name: String, value: String, to bytes: inout [UInt8]) {
        bytes += name.utf8
        bytes += ": ".utf8
        bytes += value.utf8
        bytes += "\r\n".utf8
    }
}
