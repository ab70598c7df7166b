import HTTP1
import JSON
import Locking
import TestSupport
import Testing
import Translation

@testable import ChutesProxy

/// The proxy against an upstream that behaves as Chutes does in production: engine failures
/// mid-stream, model pools, per-model limits, quota and capacity errors.
@Suite struct ChutesBehaviourTests {
    static func request(_ model: String, maxTokens: Int = 100, stream: Bool = false, text: String = "Hi") -> JSONValue {
        ["model": JSONValue(model), "max_tokens": JSONValue(maxTokens), "stream": JSONValue(stream), "messages": [["role": "user", "content": JSONValue(text)]]]
    }

    /// Runs `body` against a proxy whose upstream serves Chutes' model list and answers
    /// completions with `script`.
    static func withProxy(
        environment: [String: String] = [:], models: JSONValue = ScriptedUpstream.chutesModels, _ script: @escaping @Sendable (JSONValue) async -> HTTPResponse,
        _ body: (RunningProxy, ScriptedUpstream) async throws -> Void
    ) async throws {
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(models) }
            return await script((try? JSONValue(parsing: request.body)) ?? nil)
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: environment) { proxy in
                try await body(proxy, upstream)
            }
        }
    }

    static let ok = ScriptedUpstream.completion(["role": "assistant", "content": "ok"])

    // MARK: 1. Failures are failures

    @Test(arguments: [
        ("bare JSON line", "overloaded_error", "Unhandled exception"),
        ("data: error chunk", "api_error", "bad sampling parameter"),
        ("data: engine error chunk", "overloaded_error", "engine died"),
        ("EOF without finish_reason", "api_error", "no finish_reason"),
        ("[DONE] without finish_reason", "api_error", "no finish_reason"),
    ])
    func aStreamThatFailsEndsWithAnErrorEventNotAFinishedAnswer(scenario: String, type: String, message: String) async throws {
        try await Self.withProxy({ _ in
            let partial = [chunk(["role": "assistant", "content": "The answer is"])]
            switch scenario {
            case "bare JSON line": return ScriptedUpstream.streamFailingLikeChutes(partial)
            case "data: error chunk": return ScriptedUpstream.stream(partial + [["error": ["message": "bad sampling parameter", "code": 400]]], done: false)
            case "data: engine error chunk": return ScriptedUpstream.stream(partial + [["error": ["message": "engine died", "code": 503]]], done: false)
            case "EOF without finish_reason": return ScriptedUpstream.stream(partial, done: false)
            default: return ScriptedUpstream.stream(partial, done: true)
            }
        }) { proxy, _ in
            let response = try await proxy.post("/v1/messages", Self.request("zai-org/GLM-4.6", stream: true))
            let events = try RunningProxy.events(response.body)
            let checker = AnthropicStreamChecker(events)
            #expect(checker.problems == [])
            #expect(events.last?.type == "error", "\(scenario)")
            #expect(events.last?.payload["error"]?["type"]?.stringValue == type, "\(scenario)")
            #expect(events.last?.payload["error"]?["message"]?.stringValue?.contains(message) == true, "\(scenario)")
            #expect(!events.contains { $0.type == "message_delta" || $0.type == "message_stop" }, "\(scenario)")
        }
    }

    @Test func aNonStreamingAnswerCarryingAnErrorIsAnHTTPError() async throws {
        let bodies: [(JSONValue, HTTPStatus, String)] = [
            (["error": "Unhandled exception during response stream: engine crashed"], 529, "overloaded_error"),
            (["error": ["message": "something odd", "code": 400]], 500, "api_error"),
            (["id": "x", "object": "chat.completion"], 502, "api_error"),
        ]
        for (body, status, type) in bodies {
            try await Self.withProxy({ _ in ScriptedUpstream.json(body) }) { proxy, _ in
                let response = try await proxy.post("/v1/messages", Self.request("zai-org/GLM-4.6"))
                #expect(response.status == status)
                #expect(try JSONValue(parsing: response.body)["error"]?["type"]?.stringValue == type)
            }
        }
    }

    // MARK: 2. Pools and suffixes

    @Test func poolsAndRoutingSuffixesPassThroughEachMemberCorrected() async throws {
        try await Self.withProxy(environment: ["MODEL_MAP": #"{"claude-*haiku*": "small/tiny-8k:latency", "claude-*sonnet*": "zai-org/glm-4.6,deepseek-ai/deepseek-v3.1"}"#], { _ in Self.ok }) {
            proxy, upstream in
            for model in [
                "zai-org/glm-4.6,DEEPSEEK-AI/deepseek-v3.1", "deepseek-ai/deepseek-v3.1:throughput", "glm-4.6, deepseek-v3.1:latency",
                "claude-3-5-haiku-20241022", "claude-sonnet-4-5", "claude-sonnet-4-5:thinking", "unknown/Model,zai-org/GLM-4.6",
            ] {
                let status = try await proxy.post("/v1/messages", Self.request(model)).status
                #expect(status == 200)
            }
            #expect(
                upstream.completionRequests.map { $0.body?["model"]?.stringValue ?? "" } == [
                    "zai-org/GLM-4.6,deepseek-ai/DeepSeek-V3.1", "deepseek-ai/DeepSeek-V3.1:throughput", "zai-org/GLM-4.6,deepseek-ai/DeepSeek-V3.1:latency",
                    "small/Tiny-8K:latency", "zai-org/GLM-4.6,deepseek-ai/DeepSeek-V3.1", "zai-org/GLM-4.6,deepseek-ai/DeepSeek-V3.1", "unknown/Model,zai-org/GLM-4.6",
                ])
        }
    }

    // MARK: 3. Model limits

    @Test func maxTokensFitsTheModelsLimits() async throws {
        try await Self.withProxy({ _ in Self.ok }) { proxy, upstream in
            // Claude Code's 32000 against an 8192-token output limit.
            _ = try await proxy.post("/v1/messages", Self.request("deepseek-ai/DeepSeek-V3.1", maxTokens: 32000))
            // A smaller ask is kept.
            _ = try await proxy.post("/v1/messages", Self.request("deepseek-ai/DeepSeek-V3.1", maxTokens: 500))
            // A 6,000-token prompt in an 8,192-token window leaves about 1,300 tokens (margin
            // for the estimate) but never less than the floor.
            let prompt = String(repeating: "word ", count: 6000)
            _ = try await proxy.post("/v1/messages", Self.request("small/Tiny-8K", maxTokens: 4096, text: prompt))
            // A model the list does not know: as asked.
            _ = try await proxy.post("/v1/messages", Self.request("other/Unknown", maxTokens: 64000))
            let sent = upstream.completionRequests.map { $0.body?["max_tokens"]?.intValue ?? 0 }
            #expect(sent[0] == 8192 && sent[1] == 500 && sent[3] == 64000)
            let estimate = TokenEstimator.estimate(request: Self.request("small/Tiny-8K", text: prompt))
            #expect(sent[2] == max(ModelLimits.floor, 8192 - estimate - ModelLimits.margin(forPrompt: estimate)))
            #expect(sent[2] < 4096)
        }
    }

    @Test func aPromptClearlyOverTheWindowIsRefusedWithoutCallingTheUpstream() async throws {
        try await Self.withProxy({ _ in Self.ok }) { proxy, upstream in
            let prompt = String(repeating: "word ", count: 12000)
            for stream in [false, true] {
                let response = try await proxy.post("/v1/messages", Self.request("small/Tiny-8K", stream: stream, text: prompt))
                #expect(response.status == 400)
                let message = try JSONValue(parsing: response.body)["error"]?["message"]?.stringValue ?? ""
                #expect(message.hasPrefix("prompt is too long: ") && message.hasSuffix(" tokens > 8192 maximum"), "\(message)")
            }
            #expect(upstream.completionRequests.isEmpty)
        }
    }

    @Test func aFailedModelListChangesNothing() async throws {
        try await withScriptedUpstream { request, _ in
            request.path.hasSuffix("/models") ? ScriptedUpstream.chutesError(500, "list broken") : Self.ok
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                let status = try await proxy.post("/v1/messages", Self.request("zai-org/glm-4.6", maxTokens: 128000)).status
                #expect(status == 200)
                #expect(upstream.completionRequests.first?.body?["model"]?.stringValue == "zai-org/glm-4.6")
                #expect(upstream.completionRequests.first?.body?["max_tokens"]?.intValue == 128000)
            }
        }
    }

    // MARK: 4. Chutes' errors

    @Test func quotaAndCapacityErrorsInAnthropicsWords() async throws {
        let cases: [(HTTPResponse, HTTPStatus, String, String)] = [
            (ScriptedUpstream.chutesError(402, "Quota exceeded and account balance is $0.0, please pay with fiat or send tao"), 402, "billing_error", "Quota exceeded"),
            (ScriptedUpstream.chutesError(429, "Infrastructure is at maximum capacity, try again later"), 529, "overloaded_error", "maximum capacity"),
            (ScriptedUpstream.chutesError(429, "Chute is under maintenance"), 529, "overloaded_error", "maintenance"),
            (
                ScriptedUpstream.chutesError(422, [["loc": ["body", "max_tokens"], "msg": "Input should be a valid integer", "type": "int_parsing"]]), 400, "invalid_request_error",
                "body.max_tokens: Input should be a valid integer"
            ),
        ]
        for (answer, status, type, message) in cases {
            let calls = Mutex(0)
            try await Self.withProxy(
                environment: ["PROXY_MAX_RETRY_ON_429": "3"],
                { _ in
                    calls.withLock { $0 += 1 }
                    return answer
                }
            ) { proxy, _ in
                for stream in [false, true] {
                    let response = try await proxy.post("/v1/messages", Self.request("zai-org/GLM-4.6", stream: stream))
                    #expect(response.status == status)
                    let error = try JSONValue(parsing: response.body)["error"]
                    #expect(error?["type"]?.stringValue == type)
                    #expect(error?["message"]?.stringValue?.contains(message) == true, "\(error?["message"]?.stringValue ?? "")")
                }
            }
            #expect(calls.withLock { $0 } == 2, "capacity is not retried as a rate limit: one call per request")
        }
    }

    // MARK: 5. Claude Code's billing line

    @Test func claudeCodesBillingLineIsNotForwarded() async throws {
        try await Self.withProxy({ _ in Self.ok }) { proxy, upstream in
            var request = Self.request("zai-org/GLM-4.6").objectValue!
            request["system"] = [
                ["type": "text", "text": "x-anthropic-billing-header: cc_version=2.0.50.abc; cc_entrypoint=cli; cch=1a2b3;"],
                ["type": "text", "text": "You are Claude Code.", "cache_control": ["type": "ephemeral"]],
                ["type": "text", "text": "Be brief."],
            ]
            _ = try await proxy.post("/v1/messages", .object(request))
            #expect(upstream.completionRequests.first?.body?["messages"]?[0] == ["role": "system", "content": "You are Claude Code.\n\nBe brief."])
        }
    }

    // MARK: 8. Reasoning in history

    @Test func reasoningInHistoryGoesUnderTheFieldTheEngineReads() async throws {
        try await Self.withProxy({ _ in Self.ok }) { proxy, upstream in
            for model in ["deepseek-ai/DeepSeek-V3.1", "zai-org/GLM-4.6", "other/Unknown"] {
                let request: JSONValue = [
                    "model": JSONValue(model), "max_tokens": 100,
                    "messages": [
                        ["role": "user", "content": "2+2?"],
                        ["role": "assistant", "content": [["type": "thinking", "thinking": "Add them.", "signature": "s"], ["type": "text", "text": "4"]]],
                        ["role": "user", "content": "and 3+3?"],
                    ],
                ]
                _ = try await proxy.post("/v1/messages", request)
            }
            let assistants = upstream.completionRequests.map { $0.body?["messages"]?[1]?.objectValue ?? [:] }
            #expect(assistants[0]["reasoning"]?.stringValue == "Add them." && assistants[0]["reasoning_content"] == nil, "vLLM reads `reasoning`")
            #expect(assistants[1]["reasoning_content"]?.stringValue == "Add them." && assistants[1]["reasoning"] == nil, "sglang reads `reasoning_content`")
            #expect(assistants[2]["reasoning_content"]?.stringValue == "Add them.", "unknown engine: the common field")
        }
    }

    // MARK: visibility

    @Test func theResponseNamesTheUpstreamModel() async throws {
        try await Self.withProxy(
            environment: ["MODEL_MAP": #"{"claude-*": "glm-4.6"}"#],
            { body in
                body["stream"]?.boolValue == true ? ScriptedUpstream.stream([chunk(["content": "ok"], finish: "stop")]) : Self.ok
            }
        ) { proxy, _ in
            for stream in [false, true] {
                let response = try await proxy.post("/v1/messages", Self.request("claude-sonnet-4-5", stream: stream))
                #expect(response.headers["X-Upstream-Model"] == "zai-org/GLM-4.6")
            }
        }
    }
}
