import TestSupport
import Testing

@testable import HTTP1

/// What a parser run produced: heads, concatenated bodies and ends, in order.
private struct Parsed: Equatable {
    var heads: [HTTPRequestHead] = []
    var bodies: [[UInt8]] = []
    var ends = 0
    var error: HTTPParseError?
}

private func parse(_ pieces: [[UInt8]], limits: HTTPParserLimits = .init()) -> Parsed {
    var parser = HTTPRequestParser(limits: limits)
    var result = Parsed()
    outer: for piece in pieces {
        parser.feed(piece)
        do {
            while let event = try parser.next() {
                switch event {
                case .head(let head): result.heads.append(head); result.bodies.append([])
                case .body(let part): result.bodies[result.bodies.count - 1] += part
                case .end: result.ends += 1
                }
            }
        } catch {
            result.error = error
            break outer
        }
    }
    return result
}

/// The same input parsed whole, one byte at a time, and split in two at every boundary.
private func parsedEverySplit(of text: String, limits: HTTPParserLimits = .init()) -> [(String, Parsed)] {
    parsedEverySplit(of: Array(text.utf8), limits: limits)
}

private func parsedEverySplit(of bytes: [UInt8], limits: HTTPParserLimits = .init()) -> [(String, Parsed)] {
    everySplit(of: bytes).map { ($0.label, parse($0.chunks, limits: limits)) }
}

@Suite struct HTTPRequestParserTests {
    static let valid: [(name: String, text: String, methods: [String], bodies: [String])] = [
        ("GET", "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", ["GET"], [""]),
        ("POST with Content-Length", "POST /v1/messages?beta=true HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world", ["POST"], ["hello world"]),
        (
            "chunked with extensions and trailers", "POST /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;name=v\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n", ["POST"],
            ["hello world"]
        ),
        ("HTTP/1.0", "GET / HTTP/1.0\r\n\r\n", ["GET"], [""]),
        ("leading blank lines", "\r\n\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n", ["GET"], [""]),
        ("pipelined", "GET /1 HTTP/1.1\r\n\r\nPOST /2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nokGET /3 HTTP/1.1\r\n\r\n", ["GET", "POST", "GET"], ["", "ok", ""]),
        ("UTF-8 body", "POST / HTTP/1.1\r\nContent-Length: 7\r\n\r\nhé👋", ["POST"], ["hé👋"]),
    ]

    @Test(arguments: valid.indices)
    func validRequestsParseTheSameHoweverTheyArrive(index: Int) {
        let fixture = Self.valid[index]
        for (how, result) in parsedEverySplit(of: fixture.text) {
            #expect(result.error == nil, "\(fixture.name), \(how)")
            #expect(result.heads.map(\.method.rawValue) == fixture.methods, "\(fixture.name), \(how)")
            #expect(result.bodies.map { String(decoding: $0, as: UTF8.self) } == fixture.bodies, "\(fixture.name), \(how)")
            #expect(result.ends == fixture.methods.count, "\(fixture.name), \(how)")
        }
    }

    @Test func headFieldsAndDerivedFlags() throws {
        let result = parse([
            Array("POST /v1/messages?beta=true HTTP/1.1\r\nHost: x\r\nconnection: Keep-Alive, Upgrade\r\nExpect: 100-continue\r\nX-Multi: a\r\nX-Multi: b\r\nContent-Length: 0\r\n\r\n".utf8)
        ])
        let head = try #require(result.heads.first)
        #expect(head.target == "/v1/messages?beta=true")
        #expect(head.path == "/v1/messages")
        #expect(head.query == "beta=true")
        #expect(head.version == .http1_1)
        #expect(head.keepAlive)
        #expect(head.expectsContinue)
        #expect(head.headers["HOST"] == "x")
        #expect(head.headers.values(for: "x-multi") == ["a", "b"])
    }

    /// RFC 9112, section 3.2.2: a server must accept the absolute-form; the target's authority
    /// replaces the Host field, and the path and query are what is routed.
    @Test(arguments: [
        ("POST http://proxy.example:8080/v1/messages?beta=true HTTP/1.1\r\nHost: other\r\nContent-Length: 0\r\n\r\n", "/v1/messages?beta=true", "proxy.example:8080"),
        ("GET HTTPS://Example.COM HTTP/1.1\r\n\r\n", "/", "Example.COM"),
        ("GET http://h?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", "/?x=1", "h"),
        ("GET /plain HTTP/1.1\r\nHost: kept\r\n\r\n", "/plain", "kept"),
    ])
    func absoluteFormTargetsAreReadAsTheirPathWithTheirAuthorityAsHost(text: String, target: String, host: String) throws {
        for (how, result) in parsedEverySplit(of: text) {
            let head = try #require(result.heads.first, "\(how)")
            #expect(head.target == target, "\(how)")
            #expect(head.headers.values(for: "Host") == [host], "\(how)")
        }
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false),
        ("GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n", false),
        ("GET / HTTP/1.1\r\n\r\n", true),
        ("GET / HTTP/1.0\r\n\r\n", false),
        ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
    ])
    func keepAliveFollowsVersionAndConnection(text: String, keepAlive: Bool) {
        #expect(parse([Array(text.utf8)]).heads.first?.keepAlive == keepAlive)
    }

    /// Requests the parser refuses, with the status each is answered with.
    static let invalidRequests: [(text: String, status: HTTPStatus)] = [
        ("GET /\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nBad : x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("GET http:///v1/messages HTTP/1.1\r\n\r\n", 400),
        ("GET http://user@host/ HTTP/1.1\r\n\r\n", 400),
        ("GET http:// HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\n\r\n", 505),
        ("GET / HTTP/1.1\r\n" + String(repeating: "X-A: b\r\n", count: 101) + "\r\n", 431),
        ("POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", 413),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n" + String(repeating: "a", count: 1000) + "\r\n1\r\nb\r\n0\r\n\r\n", 413),
    ]

    @Test(arguments: invalidRequests)
    func invalidRequestsGetTheirStatusHoweverTheyArrive(text: String, status: HTTPStatus) {
        var limits = HTTPParserLimits()
        limits.maxBodyBytes = 1000
        for (how, result) in parsedEverySplit(of: text, limits: limits) {
            #expect(result.error?.status == status, "\(how): \(String(describing: result.error))")
        }
    }

    /// Chunk lines that are too long and also end in a bare LF (inputs the fuzzer found): an
    /// incomplete line is already too long, so the whole line must be refused for that too,
    /// not for its line end, or the error would depend on where the bytes were split.
    static let overlongChunkLines: [(name: String, body: [UInt8])] = [
        ("chunk end with a CR inside", Array("5\r\nhel\rlSequenceo\n0\r\n\r*".utf8)),
        ("chunk end of CR and 0xFF bytes", Array("5\r\nhello\r".utf8) + Array(repeating: 0xFF, count: 21) + Array("\n0\r\n\r\n".utf8)),
        ("chunk size line past 1024 bytes", Array("5\r\nhello\r\n".utf8) + Array(repeating: UInt8(ascii: "f"), count: 1030) + Array("\n".utf8)),
    ]

    @Test(arguments: overlongChunkLines.indices)
    func anOverlongChunkLineGetsOneErrorHoweverItArrives(index: Int) {
        let (name, body) = Self.overlongChunkLines[index]
        let request = Array("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + body
        let runs = parsedEverySplit(of: request)
        let whole = runs[0].1
        #expect(whole.error?.status == 400)
        #expect(whole.error?.reason.hasSuffix("too long") == true, "\(name): \(String(describing: whole.error))")
        for (how, result) in runs {
            #expect(result == whole, "\(name), \(how): \(String(describing: result.error)) vs \(String(describing: whole.error))")
        }
    }

    /// A chunk end that is the right length but not CRLF is refused the same however it arrives.
    @Test(arguments: ["5\r\nhelloab\r\n0\r\n\r\n", "5\r\nhello\r\r\n0\r\n\r\n", "5\r\nhello\n0\r\n\r\n"])
    func aWrongChunkEndGetsOneErrorHoweverItArrives(body: String) {
        let runs = parsedEverySplit(of: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        let whole = runs[0].1
        #expect(whole.error?.status == 400)
        for (how, result) in runs {
            #expect(result == whole, "\(how): \(String(describing: result.error)) vs \(String(describing: whole.error))")
        }
    }

    @Test func aHeadOverTheLimitIs431EvenBeforeItEnds() {
        var limits = HTTPParserLimits()
        limits.maxHeaderBytes = 1024
        let result = parse([Array(("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 2000)).utf8)], limits: limits)
        #expect(result.error?.status == 431)
    }

    @Test func errorsAreSticky() {
        var parser = HTTPRequestParser()
        parser.feed(Array("BROKEN\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try parser.next() }
        parser.feed(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try parser.next() }
    }

    @Test func bufferedBytesAreReported() throws {
        var parser = HTTPRequestParser()
        #expect(!parser.hasBufferedBytes)
        parser.feed(Array("GET / HT".utf8))
        #expect(try parser.next() == nil)
        #expect(parser.hasBufferedBytes)
    }
}

@Suite struct HTTPResponseParserTests {
    private func parseResponse(_ pieces: [[UInt8]], toHEAD: Bool = false, finish: Bool = false) throws -> (status: [HTTPStatus], body: String, ends: Int, keepAlive: Bool) {
        var parser = HTTPResponseParser()
        parser.expectResponse(toHEAD: toHEAD)
        var statuses: [HTTPStatus] = [], body: [UInt8] = [], ends = 0
        func handle(_ event: HTTPResponseParser.Event) {
            switch event {
            case .head(let head): statuses.append(head.status)
            case .body(let part): body += part
            case .end: ends += 1
            }
        }
        for piece in pieces {
            parser.feed(piece)
            while let event = try parser.next() { handle(event) }
        }
        if finish, let event = try parser.finish() { handle(event) }
        return (statuses, String(decoding: body, as: UTF8.self), ends, parser.isKeepAlive)
    }

    static let responses: [(name: String, text: String, toHEAD: Bool, finish: Bool, status: HTTPStatus, body: String, keepAlive: Bool)] = [
        ("sized", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, false, 200, "hello", true),
        ("chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n", false, false, 200, "hello", true),
        ("interim 100 skipped", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", false, false, 201, "ok", true),
        ("HEAD has no body", "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", true, false, 200, "", true),
        ("204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", false, false, 204, "", true),
        ("304 has no body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", false, false, 304, "", true),
        ("until close", "HTTP/1.1 200 OK\r\n\r\nstreamed until close", false, true, 200, "streamed until close", false),
        ("Connection: close", "HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false, false, 500, "", false),
    ]

    @Test(arguments: responses.indices)
    func responsesParseTheSameHoweverTheyArrive(index: Int) throws {
        let fixture = Self.responses[index]
        for way in everySplit(of: fixture.text) {
            let result = try parseResponse(way.chunks, toHEAD: fixture.toHEAD, finish: fixture.finish)
            #expect(result.status == [fixture.status], "\(fixture.name) \(way.label)")
            #expect(result.body == fixture.body, "\(fixture.name) \(way.label)")
            #expect(result.ends == 1, "\(fixture.name) \(way.label)")
            #expect(result.keepAlive == fixture.keepAlive, "\(fixture.name) \(way.label)")
        }
    }

    @Test func aTruncatedBodyIsAnErrorAtTheEnd() {
        #expect(throws: HTTPParseError.self) {
            _ = try parseResponse([Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort".utf8)], finish: true)
        }
    }
}

@Suite struct ChunkedEncodingTests {
    @Test func chunksRoundTripThroughTheParser() throws {
        var body: [UInt8] = []
        ChunkedEncoding.chunk(Array("hello ".utf8), into: &body)
        ChunkedEncoding.chunk([UInt8](), into: &body)
        ChunkedEncoding.chunk(Array(repeating: UInt8(ascii: "x"), count: 300), into: &body)
        body += ChunkedEncoding.terminator
        #expect(String(decoding: body.prefix(11), as: UTF8.self) == "6\r\nhello \r\n")
        var parser = HTTPRequestParser()
        parser.feed(Array("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + body)
        var received: [UInt8] = []
        while let event = try parser.next() {
            if case .body(let part) = event { received += part }
        }
        #expect(received == Array("hello ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 300))
    }
}
