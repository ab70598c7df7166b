import HTTP1
import JSON
import Locking
import Logging
import TestSupport
import Testing
import Translation

@testable import ChutesProxy

@Suite struct StreamingBehaviourTests {
    @Test func silenceUpstreamIsFilledWithPings() async throws {
        let release = Signal()
        try await withScriptedUpstream { _, _ in
            HTTPResponse(
                status: 200, headers: ["Content-Type": "text/event-stream"],
                body: .stream { writer in
                    try await writer.write(Array("data: ".utf8) + chunk(["content": "thinking hard"]).serialized() + Array("\n\n".utf8))
                    await release.wait()  // silent until the client has seen a ping
                    try await writer.write(Array("data: ".utf8) + chunk(["content": "."], finish: "stop").serialized() + Array("\n\ndata: [DONE]\n\n".utf8))
                })
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0", "STREAM_PING_INTERVAL": "0.05"]) { proxy in
                let body: JSONValue = ["model": "m", "max_tokens": 10, "stream": true, "messages": [["role": "user", "content": "x"]]]
                let url = HTTPURL("http://127.0.0.1:\(proxy.proxy.port)/v1/messages")!
                let response = try await proxy.client.execute(HTTPClientRequest(method: "POST", url: url, headers: ["x-api-key": "k"], body: body.serialized()))
                var received: [UInt8] = []
                for try await piece in response.body {
                    received += piece
                    let text = String(decoding: received, as: UTF8.self)
                    // The first ping follows message_start; a second one can only come from silence.
                    if text.components(separatedBy: "event: ping").count > 2 { release.fire() }
                }
                let events = try RunningProxy.events(received)
                #expect(AnthropicStreamChecker(events).problems == [])
                let textDelta = try #require(events.firstIndex { $0.payload["delta"]?["text"]?.stringValue == "thinking hard" })
                #expect(events[textDelta...].contains { $0.type == "ping" })
                #expect(AnthropicStreamChecker(events).finalMessage["content"] == [["type": "text", "text": "thinking hard."]])
            }
        }
    }

    /// The issue's upstream: a call region opened, then 25,000 one-byte deltas at once, then
    /// one more now and then, forever. The client hangs up after `message_start`. Reading the
    /// region again on every delta kept the reactor busy for minutes, so the hang-up went
    /// unnoticed (the upstream kept streaming) and `/health` on the same reactor timed out.
    @Test func theUpstreamIsClosedSoonAfterTheClientHangsUpMidRegion() async throws {
        let upstreamClosed = UpstreamClosed()
        try await withScriptedUpstream { request, _ in
            guard request.head.target.hasSuffix("/chat/completions") else { return ScriptedUpstream.json(ScriptedUpstream.models) }
            return HTTPResponse(
                status: 200, headers: ["Content-Type": "text/event-stream"],
                body: .stream { writer in
                    func event(_ text: String) -> [UInt8] { Array("data: ".utf8) + chunk(["content": JSONValue(text)]).serialized() + Array("\n\n".utf8) }
                    do {
                        try await writer.write(event("<tool_call>") + Array(repeating: event("x"), count: 25_000).flatMap { $0 })
                        while true {
                            try await writer.write(event("x"))
                            try await Task.sleep(for: .milliseconds(20))  // a slow upstream's pace
                        }
                    } catch {
                        upstreamClosed.note()
                        throw error
                    }
                })
        } run: { upstream in
            // One reactor: /health below is served by the one that relays the stream.
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0", "REACTOR_THREADS": "1"]) { proxy in
                let body: JSONValue = [
                    "model": "m", "max_tokens": 10, "stream": true, "messages": [["role": "user", "content": "x"]],
                    "tools": [["name": "Bash", "input_schema": ["type": "object"]]],
                ]
                let client = try await RawClient.connect(port: proxy.proxy.port)
                let json = String(decoding: body.serialized(), as: UTF8.self)
                try await client.send("POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n" + json)
                var received: [UInt8] = []
                while !String(decoding: received, as: UTF8.self).contains("message_start") {
                    let bytes = try await client.connection.read(deadline: .after(.seconds(10)))
                    try #require(!bytes.isEmpty)
                    received += bytes
                }
                client.connection.close()
                let hungUp = ContinuousClock.now
                #expect(try await exchange("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", port: proxy.proxy.port).status == .ok)
                let closed = await upstreamClosed.wait(upTo: .seconds(30))
                #expect(closed.map { $0 - hungUp < .seconds(10) } == true, "the upstream was closed \(closed.map { "\($0 - hungUp) after the hang-up" } ?? "not within 30 s")")
            }
        }
    }

    /// An upstream that streams 32 MiB of a second tool call's arguments: they are held for
    /// later, so past the limit (8 MiB) the client gets an `api_error` event and the upstream
    /// connection is closed, instead of the proxy holding all of it (100 MiB of them made
    /// 387 MB).
    @Test func heldArgumentsPastTheLimitEndTheStreamAndCloseTheUpstream() async throws {
        let upstreamClosed = UpstreamClosed()
        try await withScriptedUpstream { request, _ in
            guard request.head.target.hasSuffix("/chat/completions") else { return ScriptedUpstream.json(ScriptedUpstream.models) }
            return HTTPResponse(
                status: 200, headers: ["Content-Type": "text/event-stream"],
                body: .stream { writer in
                    func event(_ call: JSONValue) -> [UInt8] { Array("data: ".utf8) + chunk(["tool_calls": [call]]).serialized() + Array("\n\n".utf8) }
                    let piece = event(["index": 1, "function": ["arguments": JSONValue(String(repeating: "a", count: 64 << 10))]])
                    do {
                        try await writer.write(event(["index": 0, "id": "a", "function": ["name": "Bash", "arguments": #"{"command": "ls"}"#]]))
                        try await writer.write(event(["index": 1, "id": "b", "function": ["name": "Bash", "arguments": #"{"command": ""#]]))
                        for _ in 0..<512 { try await writer.write(piece) }
                        try await writer.write(Array("data: ".utf8) + chunk([:], finish: "tool_calls").serialized() + Array("\n\ndata: [DONE]\n\n".utf8))
                    } catch {
                        upstreamClosed.note()
                        throw error
                    }
                })
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let body: JSONValue = ["model": "m", "max_tokens": 10, "stream": true, "messages": [["role": "user", "content": "x"]]]
                let response = try await proxy.post("/v1/messages", body)
                let events = try RunningProxy.events(response.body)
                let checker = AnthropicStreamChecker(events)
                #expect(checker.problems == [])
                #expect(checker.errorEvent?["error"]?["type"]?.stringValue == "api_error")
                #expect(await upstreamClosed.wait(upTo: .seconds(30)) != nil, "the upstream connection was not closed")
            }
        }
    }

    @Test func debugLoggingSaysWhatHappenedAndNeverTheKey() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json(["error": ["message": "bad key sk-secret-client-key-999 rejected"]], status: 401)
        } run: { upstream in
            let lines = LogLines()
            let logger = Logger(label: "test") { _ in RecordingLogHandler(lines: lines) }
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0", "DEBUG_PROXY": "1", "MODEL_MAP": #"{"claude-*":"up/model"}"#], logger: logger) { proxy in
                let response = try await proxy.post(
                    "/v1/messages", ["model": "claude-x", "max_tokens": 5, "messages": [["role": "user", "content": "x"]]], headers: ["x-api-key": "sk-secret-client-key-999"])
                #expect(response.status == 401)
                #expect(!String(decoding: response.body, as: UTF8.self).contains("sk-secret-client-key-999"))
                let logged = lines.all.joined(separator: "\n")
                #expect(logged.contains("claude-x -> up/model"))
                #expect(logged.contains("upstream 401"))
                #expect(!logged.contains("sk-secret"))
            }
        }
    }
}

final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct RecordingLogHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.append(event.message.description)
    }
}

/// When the proxy closed its upstream connection, as the scripted upstream saw it (its write failed).
final class UpstreamClosed: Sendable {
    private let closedAt = Mutex<ContinuousClock.Instant?>(nil)
    private let signal = Signal()

    func note() {
        closedAt.withLock { $0 = $0 ?? .now }
        signal.fire()
    }

    /// The instant the upstream saw its connection closed; nil when that did not happen within `timeout`.
    func wait(upTo timeout: Duration) async -> ContinuousClock.Instant? {
        let signal = self.signal
        let timer = Task {
            try? await Task.sleep(for: timeout)
            signal.fire()
        }
        await signal.wait()
        timer.cancel()
        return closedAt.withLock { $0 }
    }
}
