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
