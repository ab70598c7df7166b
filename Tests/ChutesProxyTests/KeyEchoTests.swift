import Glibc
import HTTP1
import JSON
import Logging
import TestSupport
import Testing

@testable import ChutesProxy

/// An upstream that echoes the `Authorization` header it received into every kind of answer
/// the proxy quotes: the key reaches neither the client nor the log, whatever follows it.
@Suite struct KeyEchoTests {
    /// The operator's key; `.` and `_` so no JSON writer escapes it.
    static let key = "cpk_secret.0123456789abcdefghijklmnop"
    static let environment = ["CHUTES_API_KEY": key, "CHUTES_AUTH_STYLE": "env", "AUTO_FIX_MODEL_CASE": "0", "PROXY_BACKOFF_ON_429": "0"]

    /// What must never be seen: the header value past `Bearer ` (`Bearer c`, and so every longer
    /// prefix of it) and any 8 characters or more of the key's start.
    static let leaks = ["Bearer " + String(key.prefix(1)), String(key.prefix(8))]

    /// Where an upstream can put the header it received.
    enum Echo: String, CaseIterable, Sendable {
        /// A 401 whose OpenAI error message quotes it.
        case errorStatus
        /// A 200 carrying `{"error": {...}}` instead of choices.
        case errorIn200
        /// A 200 carrying Chutes' `{"detail": ...}`.
        case detailIn200
        /// A 200 in JSON without `choices`, `error` or `detail` (quoted whole).
        case noChoices
        /// A stream chunk `data: {"error": {...}}`.
        case errorChunk
        /// A bare JSON line in a stream, as a crashing engine writes.
        case bareJSONLine
        /// A stream chunk that is not JSON (quoted in the error).
        case malformedChunk
        /// A `text/plain` answer to a streaming request.
        case plainTextToStream
        /// An `application/json` error answer to a streaming request.
        case jsonErrorToStream
        /// A 200 that is not JSON, longer than 200 bytes, the key starting at byte 190.
        case longNonJSON

        var streams: Bool {
            switch self {
            case .errorChunk, .bareJSONLine, .malformedChunk, .plainTextToStream, .jsonErrorToStream: true
            case .errorStatus, .errorIn200, .detailIn200, .noChoices, .longNonJSON: false
            }
        }

        func answer(echoing said: String) -> HTTPResponse {
            let error: JSONValue = ["message": JSONValue(said), "type": "invalid_request_error"]
            switch self {
            case .errorStatus: return ScriptedUpstream.json(["error": error], status: 401)
            case .errorIn200: return ScriptedUpstream.json(["error": error])
            case .detailIn200: return ScriptedUpstream.json(["detail": JSONValue(said)])
            case .noChoices: return ScriptedUpstream.json(["object": "chat.completion", "note": JSONValue(said)])
            case .errorChunk: return ScriptedUpstream.stream([chunk(["role": "assistant", "content": "Hi"]), ["error": error]], done: false)
            case .bareJSONLine:
                let line = String(decoding: (["error": JSONValue(said)] as JSONValue).serialized(), as: UTF8.self)
                return ScriptedUpstream.streamFailingLikeChutes([chunk(["role": "assistant", "content": "Hi"])], line: line)
            case .malformedChunk:
                return HTTPResponse(status: 200, contentType: "text/event-stream", body: Array("data: {not JSON: \(said)\n\n".utf8))
            case .plainTextToStream: return HTTPResponse(status: 200, contentType: "text/plain", body: Array(said.utf8))
            case .jsonErrorToStream: return ScriptedUpstream.json(["error": error])
            case .longNonJSON:
                // "Bearer " at bytes 183..<190: the key straddles byte 200.
                let page = String(repeating: "x", count: 183) + said + String(repeating: "y", count: 100)
                return HTTPResponse(status: 200, contentType: "text/html", body: Array(page.utf8))
            }
        }
    }

    /// The key alone, then followed by a combining accent (U+0301) and by a zero-width joiner
    /// (U+200D): either one merges with the key's last character into one `Character`.
    static let cases: [(Echo, String)] = Echo.allCases.flatMap { echo in ["", "\u{301}", "\u{200D}"].map { (echo, $0) } }

    @Test(arguments: cases)
    func theEchoedKeyReachesNeitherTheClientNorTheLog(echo: Echo, after: String) async throws {
        try await withScriptedUpstream { request, _ in
            echo.answer(echoing: (request.headers["Authorization"] ?? "") + after + " is what you sent")
        } run: { upstream in
            let captured = CapturedLog()
            let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .text, level: .debug, sink: captured) }
            try await withRunningProxy(upstream: upstream, environment: Self.environment, logger: logger) { proxy in
                let request: JSONValue = ["model": "m", "max_tokens": 5, "stream": JSONValue(echo.streams), "messages": [["role": "user", "content": "x"]]]
                let response = try await proxy.post("/v1/messages", request)
                // The upstream got the key, and something quoting it reached the client.
                #expect(upstream.completionRequests.first?.headers["Authorization"] == "Bearer \(Self.key)")
                #expect(response.status != 200 || echo.streams)
                #expect(Self.found(Self.leaks, in: response.body) == [], "client: \(String(decoding: response.body, as: UTF8.self))")
                #expect(Self.found(["[redacted]"], in: response.body) == ["[redacted]"], "client: \(String(decoding: response.body, as: UTF8.self))")

                let logged = Array(captured.text.utf8)
                #expect(Self.found(Self.leaks, in: logged) == [], "log: \(captured.text)")
                #expect(Self.found(["[redacted]"], in: logged) == ["[redacted]"], "the debug line quotes the upstream: \(captured.text)")
            }
        }
    }

    /// Which of `needles` occur in `bytes`, compared as bytes (a `String` compares whole
    /// characters, and the key with an accent after it is not a run of the key's characters).
    static func found(_ needles: [String], in bytes: [UInt8]) -> [String] {
        needles.filter { bytes.firstRange(of: Array($0.utf8)) != nil }
    }

    @Test(arguments: [Echo.errorStatus, .errorIn200, .errorChunk, .bareJSONLine])
    func upstreamTextCannotForgeATextLogLine(echo: Echo) async throws {
        let forged = "boom\n2026-01-01T00:00:00.000Z info request status=200 forged=1\r\u{1B}[2K\u{0}\u{85}\u{2028}end"
        try await withScriptedUpstream { _, _ in
            echo.answer(echoing: forged)
        } run: { upstream in
            let captured = CapturedLog()
            let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .text, level: .debug, sink: captured) }
            try await withRunningProxy(upstream: upstream, environment: Self.environment, logger: logger) { proxy in
                let request: JSONValue = ["model": "m", "max_tokens": 5, "stream": JSONValue(echo.streams), "messages": [["role": "user", "content": "x"]]]
                _ = try await proxy.post("/v1/messages", request)
                let lines = captured.all
                #expect(lines.contains { $0.contains("boom") }, "the upstream's words are logged: \(lines)")
                for line in lines {
                    let bytes = Array(line.utf8)
                    // One line: its only control character is the newline that ends it.
                    #expect(bytes.last == UInt8(ascii: "\n"))
                    #expect(bytes.dropLast().allSatisfy { $0 >= 0x20 && $0 != 0x7F }, "\(line)")
                    #expect(!line.contains("\u{85}") && !line.contains("\u{2028}"), "\(line)")
                }
            }
        }
    }

    @Test func theTextLogEscapesControlCharactersInTheMessage() throws {
        let captured = CapturedLog()
        let logger = Logger(label: "t") { _ in ProxyLogHandler(format: .text, level: .info, sink: captured) }
        logger.info("upstream said: a\nforged\r\t\u{1B}[31m\u{7F}\u{2029}z é")
        let line = try #require(captured.all.first)
        #expect(line.hasSuffix(#" info upstream said: a\u{a}forged\u{d}\u{9}\u{1b}[31m\u{7f}\u{2029}z é"# + "\n"))
    }

    @Test(arguments: [false, true])
    func aConnectionFailureNamesTheUpstreamToTheClientAndItsAddressInTheLog(streaming: Bool) async throws {
        let captured = CapturedLog()
        let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .json, level: .info, sink: captured) }
        // Port 1 (tcpmux) has no listener here.
        let response = try await withRunningProxy(baseURL: "http://127.0.0.1:1", environment: Self.environment, logger: logger) { proxy in
            try await proxy.post("/v1/messages", ["model": "m", "max_tokens": 5, "stream": JSONValue(streaming), "messages": [["role": "user", "content": "x"]]])
        }
        #expect(response.status == 502)
        let message = try #require(try JSONValue(parsing: response.body)["error"]?["message"]?.stringValue)
        #expect(message.contains("the upstream"), "\(message)")
        #expect(!message.contains("127.0.0.1"), "\(message)")
        #expect(captured.text.contains("127.0.0.1:1"), "\(captured.text)")
    }

    /// Every transport failure, each naming the upstream's address or host in its description.
    static let transportFailures: [HTTPClientError] = [
        .connectFailed(origin: "http://10.9.8.7:4321", .systemCall("connect", errno: ECONNREFUSED, target: "10.9.8.7:4321")),
        .connectFailed(origin: "https://upstream.internal", .nameResolution(host: "upstream.internal", reason: "Name or service not known")),
        .tls(.certificateRejected(host: "upstream.internal", verification: "certificate has expired")),
        .tls(.handshakeFailed(host: "upstream.internal", reason: "wrong version number")),
        .tls(.io(.systemCall("read", errno: ECONNRESET, target: "10.9.8.7:4321"))),
        .io(.systemCall("write", errno: EPIPE, target: "10.9.8.7:4321")),
        .invalidResponse(HTTPParseError(status: .contentTooLarge, reason: "response body from http://10.9.8.7:4321 exceeds 33554432 bytes")),
        .closedEarly("before sending a response head (http://10.9.8.7:4321)"),
        .timedOut("connect to https://upstream.internal"),
        .invalidURL("http://10.9.8.7:4321/v1"),
    ]

    @Test(arguments: transportFailures)
    func aTransportFailureTellsTheClientNoAddressAndTheRecordAll(failure: HTTPClientError) {
        let record = RequestRecord()
        let (before, during) = RequestRecord.$current.withValue(record) {
            (UpstreamErrors.fromClientError(failure), UpstreamErrors.fromStreamFailure(failure))
        }
        for error in [before, during] {
            #expect(error.message.contains("the upstream"), "\(error.message)")
            #expect(!error.message.contains("10.9.8.7") && !error.message.contains("upstream.internal"), "\(error.message)")
        }
        #expect(record.snapshot.upstreamFailure == failure.description)
    }

    /// The key in a successful answer's own text (a model told the key, an upstream that
    /// reflects headers into content): scrubbed whole when not streamed, and in a stream
    /// however the upstream's writes cut it.
    @Test(arguments: [0, 1, 7, 20, 35, 36])
    func theKeyInASuccessfulAnswersTextIsScrubbed(cutInsideKey: Int) async throws {
        try await withScriptedUpstream { request, _ in
            let said = "your key is " + (request.headers["Authorization"] ?? "") + ", keep it safe"
            guard (try? JSONValue(parsing: request.body))?["stream"]?.boolValue == true else { return ScriptedUpstream.completion(["role": "assistant", "content": JSONValue(said)]) }
            let chunk = "data: " + String(decoding: chunk(["role": "assistant", "content": JSONValue(said)]).serialized(), as: UTF8.self) + "\n\n"
            let finish = "data: " + String(decoding: (["choices": [["index": 0, "delta": [:], "finish_reason": "stop"]]] as JSONValue).serialized(), as: UTF8.self) + "\n\ndata: [DONE]\n\n"
            // Cut the stream's bytes inside the key: the two writes reach the proxy apart.
            let bytes = Array((chunk + finish).utf8)
            let keyStart = bytes.firstRange(of: Array(Self.key.utf8))!.lowerBound
            let cut = keyStart + cutInsideKey
            return HTTPResponse(
                status: 200, headers: ["Content-Type": "text/event-stream"],
                body: .stream { writer in
                    try await writer.write(Array(bytes[..<cut]))
                    try await writer.write(Array(bytes[cut...]))
                })
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: Self.environment) { proxy in
                for streaming in [false, true] {
                    let request: JSONValue = ["model": "m", "max_tokens": 5, "stream": JSONValue(streaming), "messages": [["role": "user", "content": "x"]]]
                    let response = try await proxy.post("/v1/messages", request)
                    #expect(response.status == 200)
                    let text = String(decoding: response.body, as: UTF8.self)
                    #expect(Self.found(Self.leaks, in: response.body) == [], "\(text)")
                    #expect(text.contains("your key is Bearer [redacted], keep it safe"), "\(text)")
                    if streaming { #expect(text.contains("message_stop"), "\(text)") }
                }
            }
        }
    }
}
