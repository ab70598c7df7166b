import AsyncIO
import HTTP1
import JSON
import TestSupport
import Testing
import Translation

@testable import ChutesProxy

/// Requests any client can send, with no key or with one, that once crashed the proxy or
/// cost it far more than their size: each answer is a 4xx in Anthropic's envelope.
@Suite struct HostileRequestTests {
    /// vLLM and sglang lists give a window and no output limit: the combination in which a
    /// huge `max_tokens` reached the window arithmetic unclamped.
    static let windowOnlyModels: JSONValue = [
        "object": "list",
        "data": [["id": "w/Window-Only", "object": "model", "owned_by": "vllm", "max_model_len": 32768]],
    ]

    static func upstreamWithWindowOnlyModel() throws -> ScriptedUpstream {
        try ScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(windowOnlyModels) }
            return ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
        }
    }

    @Test(arguments: [Int.max, Int.max - 1, 1 << 62, 10_000_001])
    func aMaxTokensPastAnyModelsLimitIsA400NamingTheField(maxTokens: Int) async throws {
        try await withStopping(try Self.upstreamWithWindowOnlyModel()) { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                let request: JSONValue = ["model": "w/Window-Only", "max_tokens": JSONValue(maxTokens), "messages": [["role": "user", "content": "hi"]]]
                let response = try await proxy.post("/v1/messages", request)
                #expect(response.status == .badRequest)
                let body = try JSONValue(parsing: response.body)
                #expect(body["error"]?["type"] == "invalid_request_error")
                let message = try #require(body["error"]?["message"]?.stringValue)
                #expect(message.hasPrefix("max_tokens: \(maxTokens) > "), "\(message)")
                #expect(upstream.completionRequests.isEmpty)
            }
        }
    }

    @Test func theLargestAcceptedMaxTokensIsFittedToTheWindow() async throws {
        try await withStopping(try Self.upstreamWithWindowOnlyModel()) { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                let request: JSONValue = [
                    "model": "w/Window-Only", "max_tokens": JSONValue(RequestTranslator.maxTokensLimit), "messages": [["role": "user", "content": "hi"]],
                ]
                let response = try await proxy.post("/v1/messages", request)
                #expect(response.status == .ok)
                let sent = try #require(upstream.completionRequests.first?.body?["max_tokens"]?.intValue)
                #expect(sent > 0 && sent < 32768)
            }
        }
    }

    /// Every sum and difference in the fitting saturates, whatever the client or the model
    /// list says: no combination of extremes traps.
    @Test(arguments: [Int.max, Int.max / 2, 1, 0])
    func fittingMaxTokensNeverOverflows(window: Int) throws {
        let info = ModelInfo(id: "m", contextLength: window == 0 ? nil : window, maxOutputLength: nil)
        for requested in [Int.max, Int.max - 1, 1 << 62, 1] {
            for bodyBytes in [Int.max, Int.max / 2, 0] {
                for prompt in [Int.max, Int.max / 2, 0] {
                    let fitted = try? ModelLimits.maxTokens(requested: requested, info: info, bodyBytes: bodyBytes, hasImages: false) { prompt }
                    if let fitted { #expect(fitted >= 1 && fitted <= requested) }
                }
            }
        }
    }

    @Test func aWindowNearIntMaxStillBoundsWhatIsSent() throws {
        let huge = ModelInfo(id: "m", contextLength: Int.max, maxOutputLength: nil)
        #expect(try ModelLimits.maxTokens(requested: Int.max, info: huge, bodyBytes: 100, hasImages: false) { 10 } <= Int.max - 100)
        #expect(throws: AnthropicError.self) { try ModelLimits.maxTokens(requested: 1, info: ModelInfo(id: "m", contextLength: 1000), bodyBytes: Int.max, hasImages: false) { Int.max } }
    }

    @Test func aModelNameLongerThan256BytesIsA400NamingTheField() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                for (model, accepted) in [(String(repeating: "q", count: 256), true), (String(repeating: "q", count: 257), false), (String(repeating: "qwen3.", count: 4 << 20), false)] {
                    let request: JSONValue = ["model": JSONValue(model), "max_tokens": 5, "messages": [["role": "user", "content": "x"]]]
                    let response = try await proxy.post("/v1/messages", request)
                    #expect(response.status == (accepted ? .ok : .badRequest))
                    if !accepted {
                        let message = try JSONValue(parsing: response.body)["error"]?["message"]?.stringValue
                        #expect(message?.hasPrefix("model: String should have at most 256 bytes") == true)
                    }
                }
                #expect(upstream.completionRequests.count == 1)
            }
        }
    }

    /// Without a valid key nothing of the body is read: the 401 comes while the client has
    /// sent only the head of a 32 MiB request, and `Expect: 100-continue` gets no `100`.
    @Test func aRequestWithoutAValidKeyIsRefusedBeforeItsBodyIsRead() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["PROXY_API_KEYS": "sk-proxy-team-key", "CHUTES_API_KEY": "cpk-upstream"]) { proxy in
                for key in ["", "x-api-key: wrong-key\r\n"] {
                    let client = try await RawClient.connect(port: proxy.proxy.port)
                    defer { client.connection.close() }
                    try await client.send("POST /v1/messages HTTP/1.1\r\nHost: h\r\n\(key)Content-Type: application/json\r\nContent-Length: 33554000\r\n\r\n{\"model\":")
                    let response = try #require(try await client.response(timeout: .seconds(5)))
                    #expect(response.head.status == .unauthorized)
                    #expect(try JSONValue(parsing: response.body)["error"]?["type"] == "authentication_error")
                    #expect(response.head.headers["request-id"] != nil)
                }
                let expecting = try await proxy.sendRaw("POST /v1/messages HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 30000000\r\n\r\n")
                #expect(expecting.hasPrefix("HTTP/1.1 401 "), "\(expecting.prefix(40))")
                #expect(!expecting.contains("100 Continue"))
                // The right key is read and served as before, Expect included.
                let admitted = try await proxy.post("/v1/messages", ["model": "m", "max_tokens": 5, "messages": [["role": "user", "content": "x"]]], headers: ["x-api-key": "sk-proxy-team-key"])
                #expect(admitted.status == .ok)
                #expect(upstream.completionRequests.count == 1)
            }
        }
    }

    /// An upstream answer dense in values (`[0,0,…]`) is refused past its size's value limit
    /// instead of built as a tree many times its size: a 502 that says so.
    @Test func anUpstreamAnswerTooDenseToReadIsA502() async throws {
        let dense = "{\"choices\":[" + Array(repeating: "0", count: 80_000).joined(separator: ",") + "]}"
        try await withScriptedUpstream { _, _ in
            HTTPResponse(status: .ok, contentType: "application/json", body: Array(dense.utf8))
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let response = try await proxy.post("/v1/messages", ["model": "m", "max_tokens": 5, "messages": [["role": "user", "content": "x"]]])
                #expect(response.status == .badGateway)
                let message = try JSONValue(parsing: response.body)["error"]?["message"]?.stringValue ?? ""
                #expect(message.hasPrefix("the upstream's answer is too large to read (more than "), "\(message)")
            }
        }
    }
}
