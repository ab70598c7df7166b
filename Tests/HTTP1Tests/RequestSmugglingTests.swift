import Testing

@testable import HTTP1

/// Framing that two HTTP implementations could read differently (the ground of request
/// smuggling) is refused as RFC 9112 says: 400 and the connection closed, so nothing after
/// the ambiguous bytes is ever read as a request.
@Suite struct RequestSmugglingTests {
    static let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

    /// Each is answered 400, except a length too large to represent (413, also closing).
    static let ambiguous: [(name: String, request: String)] = [
        ("two different Content-Length fields", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc"),
        ("a Content-Length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 40\r\n\r\nabc"),
        ("Content-Length with a sign", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc"),
        ("Content-Length too large to represent", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\nabc"),
        ("Content-Length then Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("Transfer-Encoding then Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n"),
        ("chunked not the final coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
        ("chunked twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("obs-fold", "POST / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Content-Length: 3\r\n\r\nabc"),
        ("whitespace before the first field", "POST / HTTP/1.1\r\n Content-Length: 3\r\nHost: x\r\n\r\nabc"),
        ("whitespace before a colon", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 3\r\n\r\nabc"),
        ("bare LF ending a field", "POST / HTTP/1.1\r\nHost: x\nContent-Length: 3\r\n\r\nabc"),
        ("bare LF ending the request line", "GET / HTTP/1.1\nHost: x\r\n\r\n"),
        ("bare CR inside a field", "GET / HTTP/1.1\r\nHost: x\rContent-Length: 3\r\n\r\nabc"),
        ("NUL in a field value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n"),
        ("NUL in a field name", "GET / HTTP/1.1\r\nHost: x\r\nX\u{0}A: b\r\n\r\n"),
        ("a chunk size past 64 bits", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000003\r\nabc\r\n0\r\n\r\n"),
        ("a chunk size of many zeros", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: "0", count: 200) + "3\r\nabc\r\n0\r\n\r\n"),
        ("a chunk size with 0x", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n"),
        ("a negative chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n"),
        ("a chunk extension without a name", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;\r\nabc\r\n0\r\n\r\n"),
        ("a chunk extension with an unterminated quote", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\"b\r\nabc\r\n0\r\n\r\n"),
        ("a chunk extension with a control byte", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\u{1}\r\nabc\r\n0\r\n\r\n"),
        ("a bare LF after a chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n"),
        ("chunk data longer than its size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n"),
    ]

    static func expectedStatus(_ name: String) -> HTTPStatus { name.contains("too large") ? .contentTooLarge : .badRequest }

    @Test(arguments: ambiguous.indices)
    func theParserRefusesIt(index: Int) {
        let (name, request) = Self.ambiguous[index]
        var parser = HTTPRequestParser()
        parser.feed(Array((request + Self.smuggled).utf8))
        var error: HTTPParseError?
        var targets: [String] = []
        while true {
            do {
                guard let event = try parser.next() else { break }
                if case .head(let head) = event { targets.append(head.target) }
            } catch let parseError {
                error = parseError
                break
            }
        }
        #expect(error?.status == Self.expectedStatus(name), "\(name): \(String(describing: error))")
        #expect(!targets.contains("/smuggled"), "\(name)")
    }

    @Test(arguments: ambiguous.indices)
    func theServerAnswers400AndCloses(index: Int) async throws {
        let (name, request) = Self.ambiguous[index]
        try await withRunningServer(responder: EchoResponder()) { running in
            let client = try await running.connect()
            try? await client.send(request + Self.smuggled)
            let response = try #require(try await client.response(), "\(name)")
            #expect(response.head.status == Self.expectedStatus(name), "\(name)")
            #expect(response.head.headers["Connection"] == "close", "\(name)")
            #expect(await client.seesClose(), "\(name)")
        }
    }

    /// Accepted framings that look odd but are unambiguous: the body is what the framing says.
    @Test(arguments: [
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "abc"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;name=value;q=\"a b\"\r\nabc\r\n0\r\n\r\n", "abc"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\nTrailer: t\r\n\r\n", "abc"),
    ])
    func unambiguousFramingIsRead(request: String, body: String) {
        var parser = HTTPRequestParser()
        parser.feed(Array((request + Self.smuggled).utf8))
        var bodies: [UInt8] = []
        var targets: [String] = []
        while let event = try? parser.next() {
            switch event {
            case .head(let head): targets.append(head.target)
            case .body(let part): bodies += part
            case .end: break
            }
        }
        #expect(String(decoding: bodies, as: UTF8.self) == body)
        #expect(targets == ["/", "/smuggled"])
    }
}
