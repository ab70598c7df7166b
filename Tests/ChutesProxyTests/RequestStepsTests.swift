import HTTP1
import JSON
import Testing
import Translation

@testable import ChutesProxy

/// The request path's steps on their own: parse, model pools, limits, prepare.
@Suite struct RequestStepsTests {
    static func parse(_ body: JSONValue, headers: HTTPHeaders = [:]) throws(AnthropicError) -> MessagesRequest {
        try MessagesRequest.parse(HTTPRequest(head: HTTPRequestHead(method: "POST", target: "/v1/messages", headers: headers), body: body.serialized()), key: { _ in "key" })
    }

    @Test func parsingReadsWhatRoutingNeedsAndRefusesWhatAnthropicRefuses() throws {
        let request = try Self.parse([
            "model": "claude-opus-4:thinking", "max_tokens": 5, "stream": true,
            "tools": [["name": "Bash", "input_schema": ["type": "object"]]],
            "messages": [["role": "user", "content": [["type": "tool_result", "tool_use_id": "t", "content": [["type": "image", "source": ["type": "url", "url": "u"]]]]]]],
        ])
        #expect(request.requestedModel == "claude-opus-4:thinking" && request.model == "claude-opus-4")
        #expect(request.stream && request.thinking && request.hasTools && request.hasImages)
        #expect(try !Self.parse(["model": "m", "max_tokens": 5, "messages": []]).thinking)
        #expect(try Self.parse(["model": "m", "max_tokens": 5, "messages": []], headers: ["X-Enable-Thinking": "true"]).thinking)
        #expect(throws: AnthropicError(status: 400, message: "model: Field required")) { try Self.parse(["max_tokens": 5, "messages": []]) }
        let missingKey = AnthropicError(status: 401, message: "no key")
        #expect(throws: missingKey) {
            try MessagesRequest.parse(HTTPRequest(head: HTTPRequestHead(method: "POST", target: "/"), body: Array(#"{"model":"m"}"#.utf8)), key: { _ throws(AnthropicError) in throw missingKey })
        }
    }

    /// Issue 21, item 8: with CHUTES_AUTH_STYLE=header the 401 used to suggest setting
    /// CHUTES_API_KEY, which was set.
    @Test func theMissingKeyErrorSaysWhatWorksUnderEachAuthStyle() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.completion(["role": "assistant", "content": "Hello!"])
        } run: { upstream in
            func message(_ environment: [String: String]) async throws -> String {
                try await withRunningProxy(upstream: upstream, environment: environment.merging(["AUTO_FIX_MODEL_CASE": "0"]) { $1 }) { proxy in
                    let response = try await proxy.post("/v1/messages", ["model": "m", "max_tokens": 5, "messages": [["role": "user", "content": "Hi"]]], headers: [:])
                    #expect(response.status == 401)
                    let body = try JSONValue(parsing: response.body)
                    #expect(body["error"]?["type"] == "authentication_error")
                    return body["error"]?["message"]?.stringValue ?? ""
                }
            }
            let headerWithKey = try await message(["CHUTES_AUTH_STYLE": "header", "CHUTES_API_KEY": "cpk_set_on_the_proxy"])
            #expect(!headerWithKey.contains("set CHUTES_API_KEY"), "\(headerWithKey)")
            #expect(headerWithKey.contains("CHUTES_AUTH_STYLE=header") && headerWithKey.contains("CHUTES_AUTH_STYLE=both"), "\(headerWithKey)")
            #expect(try await !message(["CHUTES_AUTH_STYLE": "header"]).contains("CHUTES_API_KEY"))
            #expect(try await message(["CHUTES_AUTH_STYLE": "both"]).contains("set CHUTES_API_KEY"))
            #expect(upstream.completionRequests.isEmpty)
        }
    }

    @Test func poolsKeepOrderAndSuffixes() {
        let pool = ModelPool("a/One, b/Two:LATENCY ,c/Three:throughput")
        #expect(pool.members.map(\.name) == ["a/One", "b/Two", "c/Three"])
        #expect(pool.text == "a/One,b/Two:LATENCY,c/Three:throughput")
        #expect(!ModelPool("solo:latency").isPool && ModelPool("solo:latency").members[0].suffix == ":latency")
        // One plain name (the quick path) and names that need trimming or splitting agree.
        for text in ["deepseek-ai/DeepSeek-V3.1", " deepseek-ai/DeepSeek-V3.1", "deepseek-ai/DeepSeek-V3.1\u{A0}", "deepseek-ai/DeepSeek-V3.1,"] {
            #expect(ModelPool(text).members == [ModelPool.Member(name: "deepseek-ai/DeepSeek-V3.1", suffix: "")], "\(text)")
        }
        #expect(ModelPool("").members == [ModelPool.Member(name: "", suffix: "")])
        let map = ModelMap([("claude-*", "x/X,y/Y"), ("small", "s/S:throughput")])
        #expect(ModelRoute.upstreamModel(for: "claude-haiku:latency,small", in: map) == "x/X:latency,y/Y:latency,s/S:throughput")
    }

    @Test func limitsLowerMaxTokensAndRefuseClearlyTooLongPrompts() throws {
        let info = ModelInfo(id: "m", contextLength: 10_000, maxOutputLength: 4000)
        var estimated = 0
        // Small body: the byte count settles it without an estimate.
        #expect(
            try ModelLimits.maxTokens(requested: 32000, info: info, bodyBytes: 500, hasImages: false) {
                estimated += 1; return 100
            } == 4000)
        #expect(estimated == 0)
        // A 7,000-token prompt leaves 10,000 - 7,000 - 956 = 2,044.
        #expect(try ModelLimits.maxTokens(requested: 32000, info: info, bodyBytes: 28000, hasImages: false) { 7000 } == 2044)
        // Less room than the floor: the floor (the upstream will judge).
        #expect(try ModelLimits.maxTokens(requested: 32000, info: info, bodyBytes: 40000, hasImages: false) { 10_500 } == ModelLimits.floor)
        #expect(try ModelLimits.maxTokens(requested: 300, info: info, bodyBytes: 40000, hasImages: false) { 10_500 } == 300)
        #expect(throws: AnthropicError(status: 400, type: "invalid_request_error", message: "prompt is too long: 11001 tokens > 10000 maximum")) {
            try ModelLimits.maxTokens(requested: 100, info: info, bodyBytes: 50000, hasImages: false) { 11_001 }
        }
        // No window: only the output limit.
        #expect(try ModelLimits.maxTokens(requested: 9000, info: ModelInfo(id: "m", maxOutputLength: 8192), bodyBytes: 1 << 20, hasImages: false) { 1 << 30 } == 8192)
    }

    @Test func modelListEntriesAreReadAndPoolsKeepWhatHoldsForAll() throws {
        let entry = try JSONValue(
            parsing: Array(
                #"{"id":"a/A","owned_by":"vllm","context_length":200000,"max_model_len":131072,"max_output_length":-1,"input_modalities":["text","image"],"supported_features":["tools","reasoning"]}"#
                    .utf8))
        let info = try #require(ModelInfo(listEntry: entry))
        #expect(info == ModelInfo(id: "a/A", contextLength: 131_072, maxOutputLength: nil, ownedBy: "vllm", inputModalities: ["text", "image"], supportedFeatures: ["tools", "reasoning"]))
        #expect(info.acceptsImages == true)
        let other = ModelInfo(id: "b/B", contextLength: 64000, maxOutputLength: 4096, ownedBy: "sglang", inputModalities: ["text"], supportedFeatures: ["tools"])
        let common = try #require(ModelInfo.common([info, other]))
        #expect(common.contextLength == 64000 && common.maxOutputLength == 4096 && common.ownedBy == nil && common.acceptsImages == false && common.supportedFeatures == ["tools"])
        #expect(ModelInfo.common([info, nil]) == nil)
    }

    @Test func preparingFitsTheRequestToTheModel() throws {
        let builder = UpstreamRequestBuilder(configuration: ProxyConfiguration())
        let request = try Self.parse([
            "model": "claude-x", "max_tokens": 32000, "system": [["type": "text", "text": "x-anthropic-billing-header: cc_version=1; cch=9;"], ["type": "text", "text": "Be kind."]],
            "messages": [["role": "user", "content": "hi"], ["role": "assistant", "content": [["type": "thinking", "thinking": "hm", "signature": "s"], ["type": "text", "text": "yo"]]]],
        ])
        let prepared = try builder.prepare(request, model: "zai-org/GLM-4.6", info: ModelInfo(id: "zai-org/GLM-4.6", contextLength: 200_000, maxOutputLength: 8192, ownedBy: "vllm"))
        let body = try JSONValue(parsing: prepared.body)
        #expect(body["model"] == "zai-org/GLM-4.6" && body["max_tokens"] == 8192 && prepared.maxTokens == 8192)
        #expect(body["messages"]?[0] == ["role": "system", "content": "Be kind."])
        #expect(body["messages"]?[2]?["reasoning"] == "hm")
        #expect(prepared.context.upstreamModel == "zai-org/GLM-4.6" && prepared.context.requestedModel == "claude-x")
        let unknown = try JSONValue(parsing: try builder.prepare(request, model: "other", info: nil).body)
        #expect(unknown["max_tokens"] == 32000 && unknown["messages"]?[2]?["reasoning_content"] == "hm")
    }

    @Test func onlyFailuresAnotherModelMayNotHaveFallOver() {
        for status: HTTPStatus in [500, 502, 503, 504, 529] { #expect(UpstreamCaller.fallsOver(AnthropicError(status: status, message: "")), "\(status)") }
        for status: HTTPStatus in [400, 401, 402, 403, 404, 413, 429, 499] { #expect(!UpstreamCaller.fallsOver(AnthropicError(status: status, message: "")), "\(status)") }
        #expect(UpstreamCaller.fallsOver(UpstreamErrors.fromClientError(.timedOut("the response head"))))
        #expect(
            UpstreamErrors.fromResponse(
                status: 429, body: Array(#"{"detail":"Infrastructure is at maximum capacity, try again later"}"#.utf8), estimatedPromptTokens: 0, redactor: SecretRedactor(secrets: [])
            ).status == 529)
    }
}
