import AsyncIO
import Glibc
import HTTP1
import JSON
import Locking
import Logging
import TestSupport
import Testing

@testable import ChutesProxy

/// Keeps what a `ProxyLogHandler` writes.
final class CapturedLog: LogSink {
    private let lines = Mutex<[String]>([])
    func write(_ line: [UInt8]) { lines.withLock { $0.append(String(decoding: line, as: UTF8.self)) } }
    var all: [String] { lines.withLock { $0 } }
    var text: String { all.joined() }
    /// The JSON access lines (`"message":"request"`).
    var accessLines: [JSONValue] {
        all.compactMap { try? JSONValue(parsing: Array($0.utf8)) }.filter { $0["message"]?.stringValue == "request" }
    }
}

private let clientKey = "sk-client-secret-4242-abcdef"
private let hello: JSONValue = ["model": "claude-sonnet", "max_tokens": 100, "messages": [["role": "user", "content": "Hi"]]]

@Suite struct AccessLogTests {
    @Test func jsonLinesKeepTypesAndTextQuotesWhatNeedsIt() throws {
        let captured = CapturedLog()
        var logger = Logger(label: "t") { _ in ProxyLogHandler(format: .json, level: .info, sink: captured) }
        logger[metadataKey: "fixed"] = "yes"
        logger.info("hello \"world\"", metadata: ["count": .stringConvertible(3), "ratio": .stringConvertible(1.5), "ok": .stringConvertible(true), "name": "a b"])
        logger.debug("not at info")
        #expect(captured.all.count == 1)
        let line = try #require(captured.all.first)
        #expect(line.hasSuffix("}\n"))
        let object = try JSONValue(parsing: Array(line.utf8))
        #expect(object["message"]?.stringValue == "hello \"world\"")
        #expect(object["level"]?.stringValue == "info")
        #expect(object["count"] == 3)
        #expect(object["ratio"] == 1.5)
        #expect(object["ok"] == true)
        #expect(object["name"]?.stringValue == "a b")
        #expect(object["fixed"]?.stringValue == "yes")
        let time = try #require(object["time"]?.stringValue)
        #expect(time.count == 24 && time.hasSuffix("Z") && time.dropFirst(19).hasPrefix("."))

        let text = CapturedLog()
        let textLogger = Logger(label: "t") { _ in ProxyLogHandler(format: .text, level: .info, sink: text) }
        textLogger.warning("careful", metadata: ["path": "/v1/messages", "note": "two words"])
        let textLine = try #require(text.all.first)
        #expect(textLine.contains(" warning careful note=\"two words\" path=/v1/messages\n"))
    }

    @Test func oneLinePerRequestSaysWhatHappenedAndNeverTheKey() async throws {
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
            let body = try? JSONValue(parsing: request.body)
            if body?["stream"] == true {
                return ScriptedUpstream.stream([
                    chunk(["role": "assistant", "content": "Hi"]), chunk([:], finish: "stop"), ["id": "c", "choices": [], "usage": ["prompt_tokens": 21, "completion_tokens": 4]],
                ])
            }
            if body?["messages"]?[0]?["content"] == "fail" {
                return ScriptedUpstream.json(["error": ["message": JSONValue("key \(clientKey) is not allowed")]], status: 403)
            }
            return ScriptedUpstream.completion(["role": "assistant", "content": "Hello!"], usage: ["prompt_tokens": 12, "completion_tokens": 3])
        } run: { upstream in
            let captured = CapturedLog()
            let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .json, level: .debug, sink: captured) }
            try await withRunningProxy(upstream: upstream, environment: ["MODEL_MAP": #"{"claude-*":"deepseek-ai/DeepSeek-V3"}"#, "LOG_LEVEL": "debug"], logger: logger) { proxy in

                let plain = try await proxy.post("/v1/messages?beta=true&key=\(clientKey)", hello, headers: ["x-api-key": clientKey])
                #expect(plain.status == 200)
                var streaming = hello.objectValue!
                streaming["stream"] = true
                let streamed = try await proxy.post("/v1/messages", .object(streaming), headers: ["Authorization": "Bearer \(clientKey)"])
                #expect(streamed.status == 200)
                var failing = hello.objectValue!
                failing["messages"] = [["role": "user", "content": "fail"]]
                let failed = try await proxy.post("/v1/messages", .object(failing), headers: ["x-api-key": clientKey])
                #expect(failed.status == 403)
                let missing = try await proxy.send("GET", "/missing", headers: ["Authorization": "Bearer \(clientKey)"])
                #expect(missing.status == 404)

                let lines = captured.accessLines
                #expect(lines.count == 4)
                var byID: [String: JSONValue] = [:]
                for line in lines { byID[line["request_id"]?.stringValue ?? ""] = line }
                let first = try #require(byID[plain.headers["request-id"] ?? ""])
                #expect(first["method"] == "POST")
                #expect(first["path"] == "/v1/messages")
                #expect(first["status"] == 200)
                #expect(first["model"] == "claude-sonnet")
                #expect(first["upstream_model"] == "deepseek-ai/DeepSeek-V3")
                #expect(first["upstream_status"] == 200)
                #expect(first["stream"] == false)
                #expect(first["input_tokens"] == 12)
                #expect(first["output_tokens"] == 3)
                #expect(first["client"]?.stringValue?.hasPrefix("127.0.0.1:") == true)
                for key in ["duration_ms", "ttfb_ms", "upstream_ms"] {
                    #expect((first[key]?.doubleValue ?? -1) >= 0, "\(key)")
                }
                #expect(first["duration_ms"]!.doubleValue! >= first["ttfb_ms"]!.doubleValue!)

                let second = try #require(byID[streamed.headers["request-id"] ?? ""])
                #expect(second["stream"] == true)
                #expect(second["input_tokens"] == 21)
                #expect(second["output_tokens"] == 4)
                #expect(second["error"] == nil)
                #expect(second["ttfb_ms"]!.doubleValue! >= second["upstream_ms"]!.doubleValue!)

                let third = try #require(byID[failed.headers["request-id"] ?? ""])
                #expect(third["status"] == 403)
                #expect(third["upstream_status"] == 403)

                let fourth = try #require(byID[missing.headers["request-id"] ?? ""])
                #expect(fourth["status"] == 404)
                #expect(fourth["path"] == "/missing")
                #expect(fourth["model"] == nil)

                #expect(captured.text.contains("upstream 403"))  // the debug detail is there too
                #expect(!captured.text.contains(clientKey))
                #expect(!captured.text.contains("4242"))
                #expect(!captured.text.lowercased().contains("bearer"))
            }
        }
    }

    /// Issue 22, item 6: a client that left before a stream's first byte (the response head
    /// could not be written, so the server never started the stream) was not logged at all.
    @Test func aClientGoneBeforeAStreamsFirstByteStillGetsItsAccessLine() async throws {
        let captured = CapturedLog()
        let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .json, level: .info, sink: captured) }
        let reached = Signal()
        let clientGone = Signal()
        // Answers only once the client has reset its connection (the wait ignores the
        // cancellation the hang-up causes), so the head of the stream cannot be written.
        let lateStream = ProxyRoute(method: .post, path: "/late-stream") { _ in
            reached.fire()
            await clientGone.wait()
            return HTTPResponse(status: .ok, headers: ["Content-Type": "text/event-stream"], body: .stream { writer in try await writer.write(Array("data: x\n\n".utf8)) })
        }
        let configuration = try ProxyConfiguration(environment: ["CHUTES_BASE_URL": "http://127.0.0.1:9"])
        try await withStopping(try RunningProxy(configuration: configuration, routes: [lateStream], logger: logger)) { proxy in
            // A blocking socket of its own: TCPConnection.close() shuts down with a FIN, and the
            // head of the answer could still be written then; an RST makes that write fail.
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(proxy.proxy.port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            try #require(connected == 0)
            let request = Array("POST /late-stream HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".utf8)
            try #require(send(client, request, request.count, 0) == request.count)
            await reached.wait()
            var option = linger(l_onoff: 1, l_linger: 0)
            setsockopt(client, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
            close(client)
            clientGone.fire()
            #expect(await poll { captured.accessLines.count == 1 })
            let line = try #require(captured.accessLines.first)
            #expect(line["path"] == "/late-stream")
            #expect(line["status"] == 200)
            #expect(line["error"] == "client_closed")
        }
        #expect(captured.accessLines.count == 1)
    }

    @Test(arguments: [LogFormat.json, .text])
    func aModelNameCannotForgeAnAccessLine(format: LogFormat) async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
        } run: { upstream in
            let captured = CapturedLog()
            let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: format, level: .info, sink: captured) }
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"], logger: logger) { proxy in
                let model = "m\n2026-01-01T00:00:00.000Z info request status=200 \"x\"\r\u{2028}y"
                let response = try await proxy.post("/v1/messages", ["model": JSONValue(model), "max_tokens": 5, "messages": [["role": "user", "content": "x"]]])
                #expect(response.status == 200)
                #expect(captured.all.count == 1)
                let line = try #require(captured.all.first)
                #expect(line.filter { $0 == "\n" || $0 == "\r\n" }.count == 1 && line.hasSuffix("\n"))
                #expect(!line.contains("\r") && (format == .json || !line.contains("\u{2028}")))
                if format == .json {
                    #expect(try JSONValue(parsing: Array(line.utf8))["model"]?.stringValue == model)
                } else {
                    #expect(line.contains(#"model="m\u{a}2026-01-01T00:00:00.000Z info request status=200 \"x\"\u{d}\u{2028}y""#))
                }
            }
        }
    }

    /// The access line written straight into bytes is, byte for byte, the line swift-log's
    /// metadata path writes (the time apart), with every field present and with few.
    @Test(arguments: [true, false])
    func theDirectAccessLineIsTheMetadataLine(allFields: Bool) throws {
        let record = RequestRecord()
        if allFields {
            record.update {
                $0.requestedModel = "claude-\"sonnet\"\n"
                $0.upstreamModel = "deepseek-ai/DeepSeek-V3.1,other:latency"
                $0.route = "long-context"
                $0.upstreamStatus = 529
                $0.upstreamLatency = .microseconds(35_012)
                $0.timeToFirstByte = .microseconds(301_200)
                $0.stream = true
                $0.inputTokens = 1234
                $0.outputTokens = 0
                $0.errorType = "overloaded_error"
                $0.attempts = ["a/one: 529 overloaded_error", "b/two: 200"]
            }
        }
        let request = HTTPRequest(head: HTTPRequestHead(method: .post, target: "/v1/messages?beta=true"), remoteAddress: SocketAddress(ip: "10.0.0.7", port: 51234))
        var lines: [String] = []
        for direct in [true, false] {
            let captured = CapturedLog()
            let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .json, level: .info, sink: captured) }
            AccessLog(logger: logger, direct: direct).write(record, request: request, status: 200, duration: .microseconds(812_437))
            let line = try #require(captured.all.first)
            #expect(line.hasPrefix(#"{"time":""#) && line.dropFirst(33).hasPrefix(#"","level":"info","message":"request","#))
            lines.append(String(line.dropFirst(33)))
        }
        #expect(lines[0] == lines[1])
        let parsed = try JSONValue(parsing: Array(("{\"time\":\"x" + lines[0]).utf8))
        #expect(parsed["duration_ms"] == 812.437)
        #expect(parsed["upstream_status"] == (allFields ? 529 : nil))
        #expect(parsed["tries"]?.stringValue == (allFields ? "a/one: 529 overloaded_error; b/two: 200" : nil))
    }

    @Test func clientValuesAreEscapedAndCutForTheLog() {
        #expect("deepseek-ai/DeepSeek-V3.1".escapedForLog == "deepseek-ai/DeepSeek-V3.1")
        #expect("a\nb\u{7F}c\u{2028}".escapedForLog == #"a\u{a}b\u{7f}c\u{2028}"#)
        let long = String(repeating: "x", count: 250)
        #expect(long.escapedForLog == String(repeating: "x", count: 200) + "…")
        #expect(String(repeating: "x", count: 200).escapedForLog.count == 200)
    }

    /// Issue 21, item 7: `/ready`'s 503 during a drain and `/metrics`' 401 were logged at info.
    @Test func probesAreLoggedAtDebugOnlyWhateverTheyAnswer() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json([:])
        } run: { upstream in
            let captured = CapturedLog()
            let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .json, level: .info, sink: captured) }
            let environment = ["PROXY_API_KEYS": "inbound-key-0001", "CHUTES_API_KEY": "cpk_x", "METRICS_REQUIRE_KEY": "1", "SHUTDOWN_DELAY": "30"]
            try await withRunningProxy(upstream: upstream, environment: environment, logger: logger) { proxy throws in
                #expect(try await proxy.send("GET", "/metrics", headers: [:]).status == 401)
                proxy.proxy.shutdown()  // draining; the delay keeps the listener open to be asked
                #expect(try await proxy.send("GET", "/ready", headers: [:]).status == 503)
                #expect(try await proxy.send("GET", "/nothing-here", headers: [:]).status == 401)
                #expect(captured.accessLines.map { $0["path"]?.stringValue } == ["/nothing-here"])
            }
        }
    }

    /// Issue 21, item 4: a MODEL_MAP fallback list left no `route` in the access line, and the
    /// tries were only in the debug line, which had no request id.
    @Test func aFallbackIsNamedInTheAccessLine() async throws {
        try await withScriptedUpstream { request, _ in
            if request.method == "GET" { return ScriptedUpstream.json(ScriptedUpstream.models) }
            let model = (try? JSONValue(parsing: request.body))?["model"]?.stringValue
            return model == "a/one"
                ? ScriptedUpstream.json(["error": ["message": "engine failed"]], status: 500) : ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
        } run: { upstream in
            let captured = CapturedLog()
            let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .json, level: .debug, sink: captured) }
            let environment = ["MODEL_MAP": #"{"claude-*":["a/one","b/two"],"solo":"b/two"}"#, "AUTO_FIX_MODEL_CASE": "0", "LOG_LEVEL": "debug"]
            try await withRunningProxy(upstream: upstream, environment: environment, logger: logger) { proxy throws in
                let fellOver = try await proxy.post("/v1/messages", hello)
                #expect(fellOver.status == 200)
                let single = try await proxy.post("/v1/messages", ["model": "solo", "max_tokens": 5, "messages": [["role": "user", "content": "Hi"]]])
                #expect(single.status == 200)
                var byID: [String: JSONValue] = [:]
                for line in captured.accessLines { byID[line["request_id"]?.stringValue ?? ""] = line }
                let line = try #require(byID[fellOver.headers["request-id"] ?? ""])
                #expect(line["route"]?.stringValue == "MODEL_MAP:claude-*")
                #expect(line["upstream_model"]?.stringValue == "b/two")
                #expect(line["tries"]?.stringValue == "a/one: 500 api_error; b/two: 200")
                let plain = try #require(byID[single.headers["request-id"] ?? ""])
                #expect(plain["route"] == nil && plain["tries"] == nil)
                // The debug line of the same request carries its id.
                let debugLines = captured.all.compactMap { try? JSONValue(parsing: Array($0.utf8)) }.filter { $0["level"] == "debug" && $0["message"]?.stringValue?.contains("tries [") == true }
                #expect(debugLines.count == 1)
                #expect(debugLines.first?["request_id"]?.stringValue == fellOver.headers["request-id"])
            }
        }
    }

    /// Issue 21, item 6: a stream the proxy cut at the end of SHUTDOWN_GRACE_PERIOD was logged
    /// as `client_closed`.
    @Test func aStreamCutAtShutdownIsLoggedAsTheProxysDoing() async throws {
        let started = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        try await withScriptedUpstream { request, _ in
            guard request.method == "POST" else { return ScriptedUpstream.json(ScriptedUpstream.models) }
            return HTTPResponse(
                status: 200, headers: ["Content-Type": "text/event-stream"],
                body: .stream { writer in
                    try await writer.write(Array("data: ".utf8) + chunk(["role": "assistant", "content": "first "]).serialized() + Array("\n\n".utf8))
                    started.continuation.yield()
                    for await _ in release.stream { break }  // held past the grace period
                })
        } run: { upstream in
            let captured = CapturedLog()
            let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .json, level: .info, sink: captured) }
            let environment = ["SHUTDOWN_GRACE_PERIOD": "0.2", "AUTO_FIX_MODEL_CASE": "0"]
            try await withRunningProxy(upstream: upstream, environment: environment, logger: logger) { proxy throws in
                let streamed = Task { try await proxy.post("/v1/messages", ["model": "m", "max_tokens": 10, "stream": true, "messages": [["role": "user", "content": "hi"]]]) }
                for await _ in started.stream { break }
                proxy.proxy.shutdown()  // the drain under test: the stream outlives its grace period
                await proxy.task.value
                _ = try? await streamed.value
                let lines = captured.accessLines.filter { $0["path"]?.stringValue == "/v1/messages" }
                #expect(lines.count == 1)
                #expect(lines.first?["error"]?.stringValue == "cut_at_shutdown")
            }
            release.continuation.finish()
        }
    }

    @Test func probesAreLoggedAtDebugOnly() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json([:])
        } run: { upstream in
            let captured = CapturedLog()
            let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .json, level: .info, sink: captured) }
            try await withRunningProxy(upstream: upstream, logger: logger) { proxy in
                _ = try await proxy.send("GET", "/health")
                _ = try await proxy.send("GET", "/nothing-here")
                #expect(captured.accessLines.map { $0["path"]?.stringValue } == ["/nothing-here"])
            }
        }
    }

    @Test func logSettingsAreReadAndCheckedByName() throws {
        let defaults = try ProxyConfiguration(environment: [:])
        #expect(defaults.logFormat == .json && defaults.logLevel == .info && !defaults.debug)
        let text = try ProxyConfiguration(environment: ["LOG_FORMAT": "TEXT", "LOG_LEVEL": "warning"])
        #expect(text.logFormat == .text && text.logLevel == .warning)
        let debug = try ProxyConfiguration(environment: ["DEBUG_PROXY": "1"])
        #expect(debug.logLevel == .debug && debug.debug)
        #expect(throws: ConfigurationError.self) { try ProxyConfiguration(environment: ["LOG_FORMAT": "xml"]) }
        do {
            _ = try ProxyConfiguration(environment: ["LOG_LEVEL": "loud"])
            Issue.record("LOG_LEVEL=loud was accepted")
        } catch {
            #expect(error.variable == "LOG_LEVEL")
        }
    }

    @Test func theWriterDropsAndCountsLinesRatherThanBlock() throws {
        var pipeEnds: [Int32] = [0, 0]
        // Close-on-exec, so no process another test starts holds the pipe open; the read end
        // never blocks: the test reads what is there.
        #expect(pipe(&pipeEnds) == 0)
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(pipeEnds[0], F_SETFL, O_NONBLOCK)
        _ = fcntl(pipeEnds[1], F_SETFL, O_NONBLOCK)
        defer { close(pipeEnds[0]) }
        // Fill the pipe to the last byte (with empty lines), as a reader that stopped reading would.
        var filler = [UInt8](repeating: 10, count: 4096)
        var filled = 0
        while true {
            let written = write(pipeEnds[1], &filler, filler.count)
            if written > 0 { filled += written } else { break }
        }
        while write(pipeEnds[1], &filler, 1) == 1 { filled += 1 }
        _ = fcntl(pipeEnds[1], F_SETFL, fcntl(pipeEnds[1], F_GETFL) & ~O_NONBLOCK)

        let writer = LogWriter(fileDescriptor: pipeEnds[1], capacity: 100)
        let line = Array(String(repeating: "x", count: 39).utf8) + [10]
        for _ in 0..<10 { writer.write(line) }  // returns at once although the pipe is full

        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while output.count < filled {
            let count = read(pipeEnds[0], &buffer, min(buffer.count, filled - output.count))
            if count <= 0 { break }
            output += buffer[..<count]
        }
        writer.flush()  // everything the writer kept is in the pipe now
        close(pipeEnds[1])
        output = []
        while true {
            let count = read(pipeEnds[0], &buffer, buffer.count)
            if count <= 0 { break }
            output += buffer[..<count]
        }
        let text = String(decoding: output, as: UTF8.self)
        let kept = text.split(separator: "\n").filter { $0.count == 39 && $0.allSatisfy { $0 == "x" } }.count
        // The line being written when the pipe was full, and at most 100 bytes more.
        #expect(kept >= 1 && kept <= 4)
        #expect(text.contains("log writer: \(10 - kept) lines dropped"))
    }
}
