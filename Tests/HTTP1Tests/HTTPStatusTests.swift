import HTTP1
import Testing

struct HTTPStatusTests {
    @Test(arguments: [
        (HTTPStatus.ok, "HTTP/1.1 200 OK\r\n"),
        (.tooManyRequests, "HTTP/1.1 429 Too Many Requests\r\n"),
        (.overloaded, "HTTP/1.1 529 Overloaded\r\n"),
        (.requestHeaderFieldsTooLarge, "HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        (.paymentRequired, "HTTP/1.1 402 Payment Required\r\n"),
        (299, "HTTP/1.1 299 Status 299\r\n"),
        (.clientClosedRequest, "HTTP/1.1 499 Status 499\r\n"),
        (1000, "HTTP/1.1 1000 Status 1000\r\n"),
        (42, "HTTP/1.1 42 Status 42\r\n"),
    ])
    func theStatusLineIsTheCodeAndItsReasonPhrase(status: HTTPStatus, line: String) {
        let head = HTTPResponseHead(status: status, headers: ["Content-Length": "0"])
        #expect(head.serialized() == Array((line + "Content-Length: 0\r\n\r\n").utf8))
    }

    /// Issue 21, item 8: a 402 passed through went out as `402 Status 402`. These are the
    /// statuses Anthropic's API documents (400, 401, 402, 403, 404, 413, 429, 500, 504, 529)
    /// and those Chutes answers with (also 422, 502, 503), and 415, which the proxy sends.
    @Test(arguments: [400, 401, 402, 403, 404, 413, 415, 422, 429, 500, 502, 503, 504, 529])
    func everyStatusAnthropicOrChutesUsesHasItsReasonPhrase(code: Int) {
        let phrase = HTTPStatus(rawValue: code).reasonPhrase
        #expect(!phrase.hasPrefix("Status "), "\(code)")
        #expect(phrase.first?.isUppercase == true, "\(code)")
    }

    @Test func aReceivedStatusIsTheNamedOneAndKeepsItsOwnPhrase() throws {
        var parser = HTTPResponseParser()
        parser.feed(Array("HTTP/1.1 429 Slow Down\r\nContent-Length: 0\r\n\r\nHTTP/1.0 099 Odd\r\nContent-Length: 0\r\n\r\n".utf8))
        guard case .head(let first) = try parser.next() else { Issue.record("no head"); return }
        #expect(first.status == .tooManyRequests)
        #expect(first.reason == "Slow Down")
        #expect(try parser.next() == .end)
        guard case .head(let second) = try parser.next() else { Issue.record("no second head"); return }
        #expect(second.status.rawValue == 99)
    }

    @Test(arguments: ["HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 -20 OK\r\n\r\n"])
    func aStatusThatIsNotThreeDigitsIsRefused(text: String) {
        var parser = HTTPResponseParser()
        parser.feed(Array(text.utf8))
        #expect(throws: HTTPParseError(status: .badRequest, reason: "invalid status code")) { try parser.next() }
    }

    @Test func theClassesFollowTheFirstDigit() {
        let classes: [(HTTPStatus, informational: Bool, success: Bool, clientError: Bool, serverError: Bool)] = [
            (99, false, false, false, false), (100, true, false, false, false), (199, true, false, false, false),
            (200, false, true, false, false), (299, false, true, false, false), (304, false, false, false, false),
            (400, false, false, true, false), (499, false, false, true, false), (500, false, false, false, true),
            (599, false, false, false, true), (600, false, false, false, false),
        ]
        for (status, informational, success, clientError, serverError) in classes {
            #expect(status.isInformational == informational, "\(status)")
            #expect(status.isSuccess == success, "\(status)")
            #expect(status.isClientError == clientError, "\(status)")
            #expect(status.isServerError == serverError, "\(status)")
        }
    }

    @Test func aStatusPrintsAsItsCode() {
        #expect(HTTPStatus.overloaded.description == "529")
        #expect("\(HTTPStatus.notFound)" == "404")
        #expect(HTTPStatus(rawValue: 429) == .tooManyRequests)
    }
}
