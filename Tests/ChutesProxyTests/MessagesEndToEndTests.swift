import AsyncIO
import HTTP1
import JSON
import TestSupport
import Testing
import Translation

@testable import ChutesProxy

private let simpleRequest: JSONValue = ["model": "deepseek-ai/DeepSeek-V3", "max_tokens": 100, "messages": [["role": "user", "content": "Hi"]]]

private func withStream(_ request: JSONValue) -> JSONValue {
    var object = request.objectValue!
    object["stream"] = true
    return .object(object)
}

@Suite struct MessagesEndToEndTests {
    @Test func nonStreamingRoundTrip() async throws {
        try await withScriptedUpstream { request, _ in
            request.path.hasSuffix("/models") ? ScriptedUpstream.json(ScriptedUpstream.models) : ScriptedUpstream.completion(["role": "assistant", "content": "Hello!"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                let response = try await proxy.post("/v1/messages?beta=true", simpleRequest)
                #expect(response.status == 200)
                let message = try JSONValue(parsing: response.body)
                #expect(message["type"]?.stringValue == "message")
                #expect(message["id"]?.stringValue?.hasPrefix("msg_") == true)
                #expect(message["content"] == [["type": "text", "text": "Hello!"]])
                #expect(message["model"]?.stringValue == "deepseek-ai/DeepSeek-V3")
                #expect(message["usage"]?["output_tokens"]?.intValue == 3)
                let sent = try #require(upstream.completionRequests.first)
                #expect(sent.path == "/v1/chat/completions")
                #expect(sent.headers["Authorization"] == "Bearer sk-client-key-123")
                #expect(sent.body?["messages"] == [["role": "user", "content": "Hi"]])
            }
        }
    }

    @Test func streamingRoundTripIsAWellFormedEventStream() async throws {
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
            return ScriptedUpstream.stream([
                chunk(["role": "assistant", "reasoning_content": "Thinking."]),
                chunk(["content": "Let me run it."]),
                chunk(["tool_calls": [["index": 0, "id": "call_9", "type": "function", "function": ["name": "Bash", "arguments": "{\"command\":"]]]]),
                chunk(["tool_calls": [["index": 0, "function": ["arguments": "\"ls\"}"]]]], finish: "tool_calls"),
                ["id": "c", "choices": [], "usage": ["prompt_tokens": 30, "completion_tokens": 9]],
            ])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                var request = withStream(simpleRequest).objectValue!
                request["tools"] = [["name": "Bash", "description": "Runs a command", "input_schema": ["type": "object", "properties": ["command": ["type": "string"]]]]]
                let response = try await proxy.post("/v1/messages", .object(request))
                #expect(response.status == 200)
                #expect(response.headers["Content-Type"] == "text/event-stream")
                let checker = AnthropicStreamChecker(try RunningProxy.events(response.body))
                #expect(checker.problems == [])
                let message = checker.finalMessage
                #expect(message["content"]?.arrayValue?.map { $0["type"]?.stringValue ?? "" } == ["thinking", "text", "tool_use"])
                #expect(message["content"]?[2]?["input"] == ["command": "ls"])
                #expect(message["stop_reason"]?.stringValue == "tool_use")
                #expect(message["usage"]?["output_tokens"]?.intValue == 9)
                #expect(upstream.completionRequests.first?.body?["stream_options"] == ["include_usage": true])
            }
        }
    }

    @Test func aStreamingRequestAnsweredWithPlainJSONStillStreams() async throws {
        try await withScriptedUpstream { request, _ in
            request.path.hasSuffix("/models") ? ScriptedUpstream.json(ScriptedUpstream.models) : ScriptedUpstream.completion(["role": "assistant", "content": "Whole answer"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                let response = try await proxy.post("/v1/messages", withStream(simpleRequest))
                let checker = AnthropicStreamChecker(try RunningProxy.events(response.body))
                #expect(checker.problems == [])
                #expect(checker.finalMessage["content"] == [["type": "text", "text": "Whole answer"]])
            }
        }
    }

    @Test(arguments: [
        (400, 400, "invalid_request_error"), (401, 401, "authentication_error"), (403, 403, "permission_error"),
        (404, 404, "not_found_error"), (413, 413, "request_too_large"), (422, 400, "invalid_request_error"),
        (500, 500, "api_error"), (503, 529, "overloaded_error"), (529, 529, "overloaded_error"), (502, 502, "api_error"),
    ])
    func upstreamErrorsKeepTheirMeaning(upstreamStatus: HTTPStatus, status: HTTPStatus, type: String) async throws {
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
            return ScriptedUpstream.json(["error": ["message": "scripted failure", "type": "x"]], status: upstreamStatus)
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                for request in [simpleRequest, withStream(simpleRequest)] {
                    let response = try await proxy.post("/v1/messages", request)
                    #expect(response.status == status)
                    let body = try JSONValue(parsing: response.body)
                    #expect(body["type"]?.stringValue == "error")
                    #expect(body["error"]?["type"]?.stringValue == type)
                    #expect(body["error"]?["message"]?.stringValue?.contains("scripted failure") == true)
                }
            }
        }
    }

    @Test func contextLengthErrorsBecomePromptTooLong() async throws {
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
            return ScriptedUpstream.json(
                [
                    "error": [
                        "message": "This model's maximum context length is 32768 tokens. However, you requested 40000 tokens (39000 in the messages, 1000 in the completion).",
                        "code": "context_length_exceeded",
                    ]
                ], status: 400)
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                let body = try JSONValue(parsing: try await proxy.post("/v1/messages", simpleRequest).body)
                #expect(body["error"]?["type"]?.stringValue == "invalid_request_error")
                #expect(body["error"]?["message"]?.stringValue == "prompt is too long: 40000 tokens > 32768 maximum")
            }
        }
    }

    @Test func a429IsRetriedAfterRetryAfter() async throws {
        // First: an upstream that limits once, then answers.
        try await withScriptedUpstream(limitingOnce()) { flaky in
            try await withRunningProxy(upstream: flaky, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let response = try await proxy.post("/v1/messages", simpleRequest)
                #expect(response.status == 200)
            }
            #expect(flaky.completionRequests.count == 2)
        }
        // Then: one that limits forever gives the client Anthropic's 429 after the retries.
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
            return ScriptedUpstream.json(["error": ["message": "slow down"]], status: 429, headers: ["Retry-After": "0"])
        } run: { limited in
            try await withRunningProxy(upstream: limited, environment: ["AUTO_FIX_MODEL_CASE": "0", "PROXY_MAX_RETRY_ON_429": "2"]) { stubborn in
                let refused = try await stubborn.post("/v1/messages", simpleRequest)
                #expect(refused.status == 429)
                #expect(try JSONValue(parsing: refused.body)["error"]?["type"]?.stringValue == "rate_limit_error")
            }
            #expect(limited.completionRequests.count == 3)
        }
    }

    @Test func modelMapGlobsAndCaseCorrection() async throws {
        try await withScriptedUpstream { request, _ in
            request.path.hasSuffix("/models") ? ScriptedUpstream.json(ScriptedUpstream.models) : ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["MODEL_MAP": #"{"claude-*haiku*":"qwen/qwen3-coder-480b-a35b-instruct"}"#]) { proxy in
                _ = try await proxy.post("/v1/messages", ["model": "claude-3-5-haiku-20241022", "max_tokens": 10, "messages": [["role": "user", "content": "x"]]])
                _ = try await proxy.post("/v1/messages", ["model": "DEEPSEEK-AI/deepseek-v3", "max_tokens": 10, "messages": [["role": "user", "content": "x"]]])
                _ = try await proxy.post("/v1/messages", ["model": "unknown/model", "max_tokens": 10, "messages": [["role": "user", "content": "x"]]])
                let sent = upstream.completionRequests.map { $0.body?["model"]?.stringValue ?? "" }
                #expect(sent == ["Qwen/Qwen3-Coder-480B-A35B-Instruct", "deepseek-ai/DeepSeek-V3", "unknown/model"])
                // One model-list fetch served all three requests.
                #expect(upstream.received.filter { $0.path.hasSuffix("/models") }.count == 1)
            }
        }
    }

    @Test func authStyles() async throws {
        try await withScriptedUpstream { request, _ in
            request.path.hasSuffix("/models") ? ScriptedUpstream.json(ScriptedUpstream.models) : ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["CHUTES_API_KEY": "sk-proxy-key-456", "AUTO_FIX_MODEL_CASE": "0"]) { both in
                _ = try await both.post("/v1/messages", simpleRequest, headers: ["Authorization": "Bearer sk-bearer-key-789"])
                _ = try await both.post("/v1/messages", simpleRequest, headers: [:])
            }
            try await withRunningProxy(upstream: upstream, environment: ["CHUTES_API_KEY": "sk-proxy-key-456", "CHUTES_AUTH_STYLE": "env", "AUTO_FIX_MODEL_CASE": "0"]) { envOnly in
                _ = try await envOnly.post("/v1/messages", simpleRequest)
            }
            try await withRunningProxy(upstream: upstream, environment: ["CHUTES_API_KEY": "sk-proxy-key-456", "CHUTES_AUTH_STYLE": "x-api-key", "AUTO_FIX_MODEL_CASE": "0"]) { headerOnly in
                let missing = try await headerOnly.post("/v1/messages", simpleRequest, headers: [:])
                #expect(missing.status == 401)
                #expect(try JSONValue(parsing: missing.body)["error"]?["type"]?.stringValue == "authentication_error")
            }
            #expect(
                upstream.completionRequests.map { $0.headers["Authorization"] ?? "" } == [
                    "Bearer sk-bearer-key-789", "Bearer sk-proxy-key-456", "Bearer sk-proxy-key-456",
                ])
        }
    }

    @Test func invalidRequestsAreRefusedBeforeTheUpstream() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.completion(["role": "assistant", "content": "no"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let notJSON = try await proxy.send("POST", "/v1/messages", body: Array("{nope".utf8))
                #expect(notJSON.status == 400)
                let noModel = try await proxy.post("/v1/messages", ["max_tokens": 5, "messages": []])
                #expect(noModel.status == 400)
                #expect(try JSONValue(parsing: noModel.body)["error"]?["message"]?.stringValue == "model: Field required")
                #expect(upstream.completionRequests.isEmpty)
            }
        }
    }

    @Test func countTokensAndModels() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json(ScriptedUpstream.models)
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                let count = try JSONValue(parsing: try await proxy.post("/v1/messages/count_tokens", simpleRequest).body)
                #expect((count["input_tokens"]?.intValue ?? 0) > 0)
                let list = try JSONValue(parsing: try await proxy.send("GET", "/v1/models").body)
                #expect(list["data"]?[0] == ["type": "model", "id": "deepseek-ai/DeepSeek-V3", "display_name": "deepseek-ai/DeepSeek-V3", "created_at": "2023-11-14T22:13:20Z"])
                #expect(list["has_more"] == false)
                #expect(list["first_id"]?.stringValue == "deepseek-ai/DeepSeek-V3")
                #expect(list["last_id"]?.stringValue == "Qwen/Qwen3-Coder-480B-A35B-Instruct")
                let one = try await proxy.send("GET", "/v1/models/deepseek-ai/DeepSeek-V3")
                #expect(try JSONValue(parsing: one.body)["id"]?.stringValue == "deepseek-ai/DeepSeek-V3")
                #expect(try await proxy.send("GET", "/v1/models/none").status == 404)
            }
        }
    }

    /// Issue 21, item 8: `"messages": "x"` was answered "Field required".
    @Test func countTokensNamesAWrongTypeAsSuch() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json(ScriptedUpstream.models)
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy throws in
                func message(_ body: JSONValue) async throws -> String? {
                    let response = try await proxy.post("/v1/messages/count_tokens", body)
                    #expect(response.status == 400)
                    return try JSONValue(parsing: response.body)["error"]?["message"]?.stringValue
                }
                #expect(try await message(["model": "m", "messages": "x"]) == "messages: Input should be a valid list")
                #expect(try await message(["model": "m"]) == "messages: Field required")
                #expect(try await message(["x"]) == "body: Input should be a JSON object")
            }
        }
    }

    /// Issue 21, item 2: a model id with a slash, percent-encoded by the SDKs, was not found;
    /// `limit`, `after_id` and `before_id` were ignored.
    @Test func modelsAreFoundByTheirEncodedIDAndListedInPages() async throws {
        let ids = ["zai-org/GLM-4.6", "deepseek-ai/DeepSeek-V3.1", "moonshotai/Kimi-K2", "Qwen/Qwen3-Coder", "openai/gpt-oss-120b"]
        let list: JSONValue = ["object": "list", "data": .array(ids.map { ["id": JSONValue($0), "object": "model", "created": 1_700_000_000] })]
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json(list)
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                for path in ["/v1/models/zai-org%2FGLM-4.6", "/v1/models/zai-org%2fGLM-4.6", "/v1/models/zai-org/GLM-4.6"] {
                    let one = try await proxy.send("GET", path)
                    #expect(one.status == 200, "\(path)")
                    #expect(try JSONValue(parsing: one.body)["id"]?.stringValue == "zai-org/GLM-4.6", "\(path)")
                }
                let missing = try await proxy.send("GET", "/v1/models/none%2Fsuch")
                #expect(missing.status == 404)
                #expect(try JSONValue(parsing: missing.body)["error"]?["message"]?.stringValue?.contains("none/such") == true)
                #expect(try await proxy.send("GET", "/v1/models/bad%2").status == 400)

                func page(_ query: String) async throws -> (ids: [String], hasMore: Bool?, first: String?, last: String?) {
                    let response = try await proxy.send("GET", "/v1/models" + query)
                    #expect(response.status == 200, "\(query)")
                    let body = try JSONValue(parsing: response.body)
                    return (
                        body["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [], body["has_more"]?.boolValue, body["first_id"]?.stringValue,
                        body["last_id"]?.stringValue
                    )
                }
                let all = try await page("")
                #expect(all.ids == ids && all.hasMore == false && all.first == ids.first && all.last == ids.last)
                let first = try await page("?limit=2")
                #expect(first.ids == Array(ids[0..<2]) && first.hasMore == true && first.first == ids[0] && first.last == ids[1])
                let second = try await page("?limit=2&after_id=deepseek-ai%2FDeepSeek-V3.1")
                #expect(second.ids == Array(ids[2..<4]) && second.hasMore == true)
                let third = try await page("?limit=2&after_id=Qwen/Qwen3-Coder")
                #expect(third.ids == [ids[4]] && third.hasMore == false)
                let before = try await page("?before_id=Qwen%2FQwen3-Coder&limit=2")
                #expect(before.ids == Array(ids[1..<3]) && before.hasMore == true)
                let start = try await page("?before_id=deepseek-ai%2FDeepSeek-V3.1&limit=2")
                #expect(start.ids == [ids[0]] && start.hasMore == false)
                for query in ["?limit=0", "?limit=1001", "?limit=x", "?after_id=nope", "?after_id=\(ids[0])&before_id=\(ids[2])", "?limit=%zz"] {
                    let refused = try await proxy.send("GET", "/v1/models" + query)
                    #expect(refused.status == 400, "\(query)")
                    #expect(try JSONValue(parsing: refused.body)["error"]?["type"] == "invalid_request_error", "\(query)")
                }
            }
        }
        // The default page is 20 models.
        let many: JSONValue = ["object": "list", "data": .array((0..<25).map { ["id": JSONValue("org/model-\($0)"), "object": "model", "created": 1_700_000_000] })]
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json(many)
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                let body = try JSONValue(parsing: try await proxy.send("GET", "/v1/models").body)
                #expect(body["data"]?.arrayValue?.count == 20)
                #expect(body["has_more"] == true)
                #expect(body["last_id"]?.stringValue == "org/model-19")
            }
        }
    }

    /// Issue 21, item 11: Claude Code's first request, for a `claude-*` name no MODEL_MAP
    /// entry maps, went upstream as it was and failed with nothing said of how to map it.
    @Test func anUnmappedClaudeNameIsAnsweredWithHowToMapIt() async throws {
        try await withScriptedUpstream { request, _ in
            if request.method == "GET" { return ScriptedUpstream.json(ScriptedUpstream.models) }
            let model = (try? JSONValue(parsing: request.body))?["model"]?.stringValue ?? ""
            guard model.hasPrefix("deepseek-ai/") else { return ScriptedUpstream.json(["detail": JSONValue("model not found: \(model)")], status: 404) }
            return ScriptedUpstream.completion(["role": "assistant", "content": "Hello!"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0", "MODEL_MAP": #"{"claude-*haiku*":"deepseek-ai/DeepSeek-V3"}"#]) { proxy throws in
                func answer(_ model: String) async throws -> (status: HTTPStatus, message: String) {
                    let response = try await proxy.post("/v1/messages", ["model": JSONValue(model), "max_tokens": 5, "messages": [["role": "user", "content": "Hi"]]])
                    return (response.status, try JSONValue(parsing: response.body)["error"]?["message"]?.stringValue ?? "")
                }
                let unmapped = try await answer("claude-opus-4-1-20250805")
                #expect(unmapped.status == 404)
                #expect(unmapped.message.contains("claude-opus-4-1-20250805") && unmapped.message.contains("MODEL_MAP='{"), "\(unmapped.message)")
                #expect(unmapped.message.contains("model not found"), "the upstream's own words are kept")
                #expect(try await answer("claude-3-5-haiku-20241022").status == 200)
                // Other names the upstream does not know keep the plain 404.
                let other = try await answer("someone/Unknown-Model")
                #expect(other.status == 404 && !other.message.contains("MODEL_MAP"))
            }
        }
    }

    @Test func anUnreachableUpstreamIs502() async throws {
        // Port 1 (tcpmux) has no listener here; a port freed by this test could be taken by
        // a server of a test running alongside.
        let port = 1
        try await withRunningProxy(baseURL: "http://127.0.0.1:\(port)", environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
            let response = try await proxy.post("/v1/messages", simpleRequest, headers: ["x-api-key": "k"])
            #expect(response.status == 502)
            #expect(try JSONValue(parsing: response.body)["error"]?["type"]?.stringValue == "api_error")
        }
    }

    @Test func toolCallsWrittenAsTextBecomeToolUse() async throws {
        let written = "I'll list them.\n<tool_call>\n<function=Bash>\n<parameter=command>\nls -la\n</parameter>\n</function>\n</tool_call>"
        try await withScriptedUpstream { request, _ in
            if (try? JSONValue(parsing: request.body))?["stream"]?.boolValue == true {
                let pieces = stride(from: 0, to: written.count, by: 7).map { offset in
                    String(written.dropFirst(offset).prefix(7))
                }
                return ScriptedUpstream.stream(pieces.map { chunk(["content": JSONValue($0)]) } + [chunk([:], finish: "stop")])
            }
            return ScriptedUpstream.completion(["role": "assistant", "content": JSONValue(written)])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                var request = simpleRequest.objectValue!
                request["model"] = "Qwen/Qwen3-Coder-480B-A35B-Instruct"
                request["tools"] = [["name": "Bash", "input_schema": ["type": "object", "properties": ["command": ["type": "string"]]]]]
                let expected: JSONValue = [["type": "text", "text": "I'll list them.\n"], ["type": "tool_use", "name": "Bash", "input": ["command": "ls -la"]]]
                let whole = try JSONValue(parsing: try await proxy.post("/v1/messages", .object(request)).body)
                request["stream"] = true
                let streamed = AnthropicStreamChecker(try RunningProxy.events(try await proxy.post("/v1/messages", .object(request)).body))
                #expect(streamed.problems == [])
                for message in [whole, streamed.finalMessage] {
                    let content = message["content"]?.arrayValue?.map { block -> JSONValue in
                        var block = block.objectValue!
                        block["id"] = nil
                        return .object(block)
                    }
                    #expect(content.map(JSONValue.array) == expected)
                    #expect(message["stop_reason"]?.stringValue == "tool_use")
                }
            }
        }
    }

    @Test func aSlowUpstreamIs504() async throws {
        try await withScriptedUpstream { _, _ in
            try? await Task.sleep(for: .seconds(3600))  // answers only when cancelled
            return ScriptedUpstream.completion(["role": "assistant", "content": "late"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0", "UPSTREAM_TIMEOUT": "0.2"]) { proxy in
                let response = try await proxy.post("/v1/messages", simpleRequest)
                #expect(response.status == 504)
                #expect(try JSONValue(parsing: response.body)["error"]?["type"]?.stringValue == "timeout_error")
            }
        }
    }

    @Test func imagesAndThinkingReachTheUpstream() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.completion(["role": "assistant", "reasoning_content": "looked", "content": "a cat"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0", "THINKING_TEMPLATE_KWARGS": #"{"thinking":true}"#]) { proxy in
                let request: JSONValue = [
                    "model": "m", "max_tokens": 50, "thinking": ["type": "enabled", "budget_tokens": 20000],
                    "messages": [
                        [
                            "role": "user",
                            "content": [
                                ["type": "image", "source": ["type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="]],
                                ["type": "text", "text": "What is this?"],
                            ],
                        ]
                    ],
                ]
                let message = try JSONValue(parsing: try await proxy.post("/v1/messages", request).body)
                #expect(message["content"] == [["type": "thinking", "thinking": "looked", "signature": JSONValue(StreamTranslator.signature)], ["type": "text", "text": "a cat"]])
                let sent = try #require(upstream.completionRequests.first?.body)
                #expect(sent["messages"]?[0]?["content"]?[0] == ["type": "image_url", "image_url": ["url": "data:image/png;base64,iVBORw0KGgo="]])
                #expect(sent["reasoning_effort"]?.stringValue == "high")
                #expect(sent["chat_template_kwargs"] == ["thinking": true])
            }
        }
    }

    @Test func anUpstreamResetMidStreamEndsWithAnErrorEvent() async throws {
        try await withScriptedUpstream { _, _ in
            HTTPResponse(
                status: 200, headers: ["Content-Type": "text/event-stream"],
                body: .stream { writer in
                    try await writer.write(Array("data: ".utf8) + chunk(["content": "partial"]).serialized() + Array("\n\n".utf8))
                    throw IOError.closed  // the upstream server drops the connection mid-body
                })
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let response = try await proxy.post("/v1/messages", withStream(simpleRequest))
                let events = try RunningProxy.events(response.body)
                let checker = AnthropicStreamChecker(events)
                #expect(checker.problems == [])
                #expect(events.last?.type == "error")
                #expect(!events.contains { $0.type == "message_stop" })
            }
        }
    }

    @Test func aClientThatDisconnectsCancelsTheUpstreamRequest() async throws {
        let upstreamSawRequest = Signal()
        let upstreamCancelled = Signal()
        try await withScriptedUpstream { request, _ in
            // The model list (for limits) answers at once; the completion never does.
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
            upstreamSawRequest.fire()
            await withTaskCancellationHandler {
                try? await Task.sleep(for: .seconds(3600))
            } onCancel: {
                upstreamCancelled.fire()
            }
            return ScriptedUpstream.completion(["role": "assistant", "content": "too late"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let connection = try await TCPConnection.connect(to: SocketAddress(ip: "127.0.0.1", port: proxy.proxy.port)!)
                let body = simpleRequest.serialized()
                try await connection.write(Array("POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
                await upstreamSawRequest.wait()
                let closedAt = ContinuousClock.now
                connection.close()
                await upstreamCancelled.wait()
                #expect(ContinuousClock.now - closedAt < .seconds(1))
            }
        }
    }
}

/// A script that answers the first completion request with a 429 (`Retry-After: 0`), then
/// with a completion.
private func limitingOnce() -> ScriptedUpstream.Script {
    let completions = Counter()
    return { request, _ in
        if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
        if completions.increment() == 1 {
            return ScriptedUpstream.json(["error": ["message": "rate limited"]], status: 429, headers: ["Retry-After": "0"])
        }
        return ScriptedUpstream.completion(["role": "assistant", "content": "after retry"])
    }
}

@Suite struct TLSUpstreamTests {
    @Test func anHTTPSUpstreamWithAPrivateCAWorksStreamingAndNot() async throws {
        let certificates = TestCertificates.shared
        let tls = try TLSContext(.server(certificateChainFile: certificates.server.certificate, privateKeyFile: certificates.server.key))
        let request: JSONValue = ["model": "m", "max_tokens": 5, "messages": [["role": "user", "content": "x"]]]
        try await withScriptedUpstream(tls: tls) { request, _ in
            if (try? JSONValue(parsing: request.body))?["stream"]?.boolValue == true {
                return ScriptedUpstream.stream([chunk(["content": "over TLS"], finish: "stop")])
            }
            return ScriptedUpstream.completion(["role": "assistant", "content": "over TLS"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0", "CHUTES_CA_FILE": certificates.caFile]) { proxy in
                let plain = try await proxy.post("/v1/messages", request)
                #expect(try JSONValue(parsing: plain.body)["content"] == [["type": "text", "text": "over TLS"]])
                var streaming = request.objectValue!
                streaming["stream"] = true
                let streamed = try await proxy.post("/v1/messages", .object(streaming))
                #expect(AnthropicStreamChecker(try RunningProxy.events(streamed.body)).finalMessage["content"] == [["type": "text", "text": "over TLS"]])
            }
            // Without the CA the upstream's certificate is refused: a 502 that says why.
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { untrusting in
                let refused = try await untrusting.post("/v1/messages", request)
                #expect(refused.status == 502)
                #expect(String(decoding: refused.body, as: UTF8.self).contains("certificate"))
            }
        }
    }
}
