import HTTP1
import JSON
import Logging
import TestSupport
import Testing

@testable import ChutesProxy

private let clientKey = "sk-client-key-123"
private let openRouterKey = "sk-or-provider-secret-0042"
private let deepSeekKey = "sk-ds-provider-secret-0077"
private let hello: JSONValue = ["model": "claude-sonnet", "max_tokens": 100, "messages": [["role": "user", "content": "Hi"]]]

private func asking(_ model: String, stream: Bool = false) -> JSONValue {
    ["model": JSONValue(model), "max_tokens": 100, "stream": JSONValue(stream), "messages": [["role": "user", "content": "Hi"]]]
}

/// The proxy with two scripted upstreams: `chutes` (the default provider) and a second one
/// serving several providers under path prefixes (`/or` openrouter, bearer with its own
/// headers; `/ds` deepseek, x-api-key; `/local` ollama, no key, no model list).
private func withTwoProviders(
    chutes: @escaping ScriptedUpstream.Script,
    other: @escaping ScriptedUpstream.Script,
    environment: [String: String] = [:],
    logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
    _ body: (RunningProxy, ScriptedUpstream, ScriptedUpstream) async throws -> Void
) async throws {
    try await withScriptedUpstream(chutes) { chutesUpstream in
        try await withScriptedUpstream(other) { otherUpstream in
            let providers = """
                [{"name":"openrouter","base_url":"\(otherUpstream.baseURL)/or","api_key_env":"OPENROUTER_API_KEY","headers":{"X-Title":"proxy-test"}},
                 {"name":"deepseek","base_url":"\(otherUpstream.baseURL)/ds","api_key_env":"DEEPSEEK_API_KEY","auth":"x-api-key"},
                 {"name":"ollama","base_url":"\(otherUpstream.baseURL)/local","models_endpoint":null}]
                """
            let settings = ["PROVIDERS": providers, "OPENROUTER_API_KEY": openRouterKey, "DEEPSEEK_API_KEY": deepSeekKey, "AUTO_FIX_MODEL_CASE": "0"]
            try await withRunningProxy(upstream: chutesUpstream, environment: settings.merging(environment) { $1 }, logger: logger) { proxy in
                try await body(proxy, chutesUpstream, otherUpstream)
            }
        }
    }
}

private let answer = ScriptedUpstream.completion(["role": "assistant", "content": "ok"])

/// The samples of a Prometheus text exposition: `name{labels}` -> value.
private func metrics(_ proxy: RunningProxy) async throws -> [String: Double] {
    let text = String(decoding: try await proxy.send("GET", "/metrics").body, as: UTF8.self)
    var result: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        result[String(line[..<space])] = value
    }
    return result
}

@Suite(.serialized) struct ProvidersEndToEndTests {
    /// A streamed answer names its provider in `X-Upstream-Model` as a whole one does (and as
    /// the access line does): `openrouter::b/two`, not the provider's bare `b/two`.
    @Test func aStreamedAnswerNamesItsProviderInXUpstreamModel() async throws {
        try await withTwoProviders(
            chutes: { request, _ in request.method == "GET" ? ScriptedUpstream.json(ScriptedUpstream.models) : answer },
            other: { request, _ in request.method == "GET" ? ScriptedUpstream.json(["data": []]) : answer }
        ) { proxy, _, _ in
            for (model, expected) in [("openrouter::b/two", "openrouter::b/two"), ("a/one", "a/one")] {
                let response = try await proxy.post("/v1/messages", asking(model, stream: true))
                #expect(response.status == 200)
                #expect(response.headers["X-Upstream-Model"] == expected)
            }
        }
    }

    @Test func aFallbackListCrossesProviders() async throws {
        let captured = CapturedLog()
        let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .json, level: .info, sink: captured) }
        try await withTwoProviders(
            chutes: { request, _ in
                request.method == "GET" ? ScriptedUpstream.json(ScriptedUpstream.models) : ScriptedUpstream.chutesError(.overloaded, "No instances available (yet) for chute_id=x")
            },
            other: { request, _ in request.method == "GET" ? ScriptedUpstream.json(["data": []]) : answer },
            environment: ["MODEL_MAP": #"{"claude-*": ["a/one", {"provider": "openrouter", "model": "b/two"}]}"#], logger: logger
        ) { proxy, chutes, other in
            let response = try await proxy.post("/v1/messages", hello)
            #expect(response.status == 200)
            #expect(response.headers["X-Upstream-Model"] == "openrouter::b/two")
            #expect(chutes.completionRequests.map { $0.body?["model"]?.stringValue } == ["a/one"])
            #expect(other.completionRequests.map(\.path) == ["/or/v1/chat/completions"])
            #expect(other.completionRequests.first?.body?["model"]?.stringValue == "b/two", "the provider gets its own name of the model")
            let line = try #require(captured.accessLines.first { $0["request_id"]?.stringValue == response.headers["request-id"] })
            #expect(line["tries"]?.stringValue == "a/one: 529 overloaded_error; openrouter::b/two: 200")
            #expect(line["upstream_model"]?.stringValue == "openrouter::b/two")
            // A request that fails everywhere is counted under the provider that answered last.
            #expect(try await proxy.post("/v1/messages", asking("a/one")).status == 529)
            let samples = try await metrics(proxy)
            #expect(samples[#"chutes_proxy_upstream_latency_seconds_count{provider="openrouter",model="openrouter::b/two"}"#] == 1)
            #expect(samples[#"chutes_proxy_upstream_latency_seconds_count{provider="chutes",model="a/one"}"#] == 1)
            #expect(samples[#"chutes_proxy_fallbacks_total{from="a/one",to="openrouter::b/two"}"#] == 1)
        }
    }

    @Test func aProvidersRateLimitIsWaitedOutAndCountedUnderIt() async throws {
        let completions = Counter()
        try await withTwoProviders(
            chutes: { request, _ in request.method == "GET" ? ScriptedUpstream.json(ScriptedUpstream.models) : answer },
            other: { request, _ in
                if request.method == "GET" { return ScriptedUpstream.json(["data": []]) }
                // The first completion is refused with a plain rate limit (not a capacity one).
                return completions.increment() == 1 ? ScriptedUpstream.json(["error": ["message": "rate limited"]], status: .tooManyRequests, headers: ["Retry-After": "0"]) : answer
            },
            environment: ["PROXY_MAX_RETRY_AFTER": "0"]
        ) { proxy, _, other in
            #expect(try await proxy.post("/v1/messages", asking("openrouter::m/a")).status == 200)
            #expect(other.completionRequests.count == 2, "one 429, then the retry")
            let samples = try await metrics(proxy)
            #expect(samples[#"chutes_proxy_upstream_429_retries_total{provider="openrouter"}"#] == 1)
        }
    }

    @Test func eachProviderGetsItsOwnKeyTheClientsOnlyTheDefault() async throws {
        try await withTwoProviders(
            chutes: { request, _ in request.method == "GET" ? ScriptedUpstream.json(ScriptedUpstream.models) : answer },
            other: { request, _ in request.method == "GET" ? ScriptedUpstream.json(["data": []]) : answer }
        ) { proxy, chutes, other in
            for model in ["m/default", "openrouter::m/a", "deepseek::m/b", "ollama::m/c"] {
                #expect(try await proxy.post("/v1/messages", asking(model)).status == 200, "\(model)")
            }
            let toChutes = try #require(chutes.completionRequests.first)
            #expect(toChutes.headers["Authorization"] == "Bearer \(clientKey)")
            #expect(toChutes.headers["X-Title"] == nil)
            let byPath = Dictionary(other.completionRequests.map { ($0.path, $0) }) { first, _ in first }
            let openRouter = try #require(byPath["/or/v1/chat/completions"])
            #expect(openRouter.headers["Authorization"] == "Bearer \(openRouterKey)" && openRouter.headers["X-Title"] == "proxy-test")
            let deepSeek = try #require(byPath["/ds/v1/chat/completions"])
            #expect(deepSeek.headers["x-api-key"] == deepSeekKey && deepSeek.headers["Authorization"] == nil)
            let ollama = try #require(byPath["/local/v1/chat/completions"])
            #expect(ollama.headers["Authorization"] == nil && ollama.headers["x-api-key"] == nil)
            // The client's key never reaches another provider, in a request or a model-list fetch.
            #expect(!other.received.isEmpty)
            for request in other.received {
                #expect(!request.headers.contains { $0.value.contains(clientKey) }, "\(request.path)")
            }
            #expect(!other.received.contains { $0.path.hasPrefix("/local/v1/models") }, "ollama lists no models (models_endpoint null)")
        }
    }

    @Test func eachProviderHasItsOwnCircuitBreaker() async throws {
        try await withTwoProviders(
            chutes: { request, _ in request.method == "GET" ? ScriptedUpstream.json(ScriptedUpstream.models) : ScriptedUpstream.chutesError(.overloaded, "at capacity") },
            other: { request, _ in request.method == "GET" ? ScriptedUpstream.json(["data": []]) : answer },
            environment: ["BREAKER_FAILURES": "1", "MODEL_MAP": #"{"first": ["m/x", "openrouter::m/x"], "second": ["openrouter::m/x", "m/x"]}"#]
        ) { proxy, chutes, other in
            #expect(try await proxy.post("/v1/messages", asking("first")).status == 200)
            #expect(chutes.completionRequests.count == 1 && other.completionRequests.count == 1)
            // Chutes' m/x is open; openrouter's model of the same name is not.
            #expect(try await proxy.post("/v1/messages", asking("second")).status == 200)
            #expect(other.completionRequests.count == 2, "openrouter's m/x is tried, not skipped")
            let again = try await proxy.post("/v1/messages", asking("first"))
            #expect(again.status == 200)
            #expect(chutes.completionRequests.count == 1, "chutes' m/x is skipped while it cools down")
            let samples = try await metrics(proxy)
            #expect(samples[#"chutes_proxy_circuit_breaker_state{provider="chutes",model="m/x"}"#] == 2)
            #expect(samples.keys.contains { $0.hasPrefix("chutes_proxy_circuit_breaker_state{provider=\"openrouter\"") } == false)
        }
    }

    @Test func theModelListNamesEveryProvidersModelsSoTheyRouteBack() async throws {
        try await withTwoProviders(
            chutes: { request, _ in request.method == "GET" ? ScriptedUpstream.json(ScriptedUpstream.models) : answer },
            other: { request, _ in
                if request.method == "GET" {
                    return request.head.target.hasPrefix("/or/")
                        ? ScriptedUpstream.json(["data": [["id": "openai/gpt-4o", "created": 1_700_000_200]]]) : ScriptedUpstream.json(["data": []], status: 500)
                }
                return answer
            }
        ) { proxy, _, other in
            let listed = try await proxy.send("GET", "/v1/models?limit=100")
            #expect(listed.status == 200)
            let ids = try JSONValue(parsing: listed.body)["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
            // deepseek's list fails (500) and is left out; ollama has none.
            #expect(ids == ["deepseek-ai/DeepSeek-V3", "Qwen/Qwen3-Coder-480B-A35B-Instruct", "openrouter::openai/gpt-4o"])
            let one = try await proxy.send("GET", "/v1/models/openrouter::openai%2Fgpt-4o")
            #expect(one.status == 200)
            #expect(try await proxy.send("GET", "/v1/models").status == 200)
            // Other providers' lists come from their catalogs, asked once per
            // MODEL_DISCOVERY_TTL: three client calls, one request to OpenRouter's list.
            #expect(other.received.filter { $0.method == "GET" && $0.path.hasPrefix("/or/") }.count == 1)
            // A listed name routes back to its provider.
            let response = try await proxy.post("/v1/messages", asking("openrouter::openai/gpt-4o"))
            #expect(response.status == 200)
            #expect(other.completionRequests.last?.path == "/or/v1/chat/completions")
            #expect(other.completionRequests.last?.body?["model"]?.stringValue == "openai/gpt-4o")
            // A provider that is not configured: 404 naming those that are.
            let unknown = try await proxy.post("/v1/messages", asking("nope::x"))
            #expect(unknown.status == 404)
            let error = try JSONValue(parsing: unknown.body)["error"]
            #expect(error?["type"]?.stringValue == "not_found_error")
            #expect(error?["message"]?.stringValue?.contains("the providers are chutes, openrouter, deepseek, ollama") == true)
        }
    }

    @Test func everyProvidersKeyIsScrubbedFromWhatAnyUpstreamSays() async throws {
        let echo = "invalid key \(openRouterKey); ds \(deepSeekKey)"
        try await withTwoProviders(
            chutes: { request, _ in
                // Chutes echoes another provider's key: the one redactor scrubs it too.
                request.method == "GET" ? ScriptedUpstream.json(ScriptedUpstream.models) : ScriptedUpstream.chutesError(.badRequest, JSONValue(echo))
            },
            other: { request, _ in
                if request.method == "GET" { return ScriptedUpstream.json(["data": []]) }
                let model = (try? JSONValue(parsing: request.body))?["model"]?.stringValue
                if model == "streams" { return ScriptedUpstream.stream([chunk(["role": "assistant", "content": JSONValue("your key is \(openRouterKey)!")], finish: "stop")]) }
                return ScriptedUpstream.json(["error": ["message": JSONValue(echo), "code": 401]], status: .badRequest)
            }
        ) { proxy, _, _ in
            for model in ["openrouter::fails", "m/default"] {
                let response = try await proxy.post("/v1/messages", asking(model))
                #expect(response.status == 400, "\(model)")
                let text = String(decoding: response.body, as: UTF8.self)
                #expect(!text.contains(openRouterKey) && !text.contains(deepSeekKey), "\(model): \(text)")
                #expect(text.contains("[redacted]"), "\(model): \(text)")
            }
            let streamed = try await proxy.post("/v1/messages", asking("openrouter::streams", stream: true))
            #expect(streamed.status == 200)
            let text = String(decoding: streamed.body, as: UTF8.self)
            #expect(!text.contains(openRouterKey) && text.contains("[redacted]"), "\(text)")
        }
    }

    @Test func eachProvidersModelListSpellsAndLimitsItsModels() async throws {
        try await withTwoProviders(
            chutes: { request, _ in request.method == "GET" ? ScriptedUpstream.json(ScriptedUpstream.chutesModels) : answer },
            other: { request, _ in
                guard request.method == "GET" else { return answer }
                guard request.head.target == "/or/v1/models" else { return ScriptedUpstream.json(["data": []]) }
                return ScriptedUpstream.json(["data": [["id": "Vendor/Model-X", "context_length": 32768, "max_output_length": 4096]]])
            },
            environment: ["AUTO_FIX_MODEL_CASE": "1"]
        ) { proxy, chutes, other in
            let body: JSONValue = ["model": "openrouter::vendor/model-x", "max_tokens": 100_000, "messages": [["role": "user", "content": "Hi"]]]
            #expect(try await proxy.post("/v1/messages", body).status == 200)
            let sent = try #require(other.completionRequests.first?.body)
            #expect(sent["model"]?.stringValue == "Vendor/Model-X", "spelled as openrouter's list spells it")
            #expect((sent["max_tokens"]?.intValue ?? .max) <= 4096, "fitted to openrouter's limit for it")
            // Chutes' list knows nothing of it, and was not asked about it.
            #expect(chutes.completionRequests.isEmpty)
        }
    }

    @Test func eachProviderIsSentItsQuirks() async throws {
        let quirky = """
            [{"name":"openrouter","base_url":"BASE/or","max_tokens_field":"max_completion_tokens","reasoning_field":"none",
              "chat_template_kwargs":false,"stream_options":false,"reasoning_effort":false}]
            """
        func thinking(_ model: String) -> JSONValue {
            [
                "model": JSONValue(model), "max_tokens": 2000, "stream": true, "thinking": ["type": "enabled", "budget_tokens": 1024],
                "messages": [
                    ["role": "user", "content": "Hi"],
                    ["role": "assistant", "content": [["type": "thinking", "thinking": "Let me think.", "signature": "s"], ["type": "text", "text": "Hello"]]],
                    ["role": "user", "content": "Again"],
                ],
            ]
        }
        let streamed = ScriptedUpstream.stream([chunk(["role": "assistant", "content": "ok"], finish: "stop")])
        try await withScriptedUpstream { request, _ in
            request.method == "GET" ? ScriptedUpstream.json(ScriptedUpstream.models) : streamed
        } run: { chutes in
            try await withScriptedUpstream { request, _ in
                request.method == "GET" ? ScriptedUpstream.json(["data": []]) : streamed
            } run: { other in
                let environment = [
                    "PROVIDERS": quirky.replacing("BASE", with: other.baseURL), "THINKING_TEMPLATE_KWARGS": #"{"thinking": true}"#, "AUTO_FIX_MODEL_CASE": "0",
                ]
                try await withRunningProxy(upstream: chutes, environment: environment) { proxy in
                    for model in ["m/default", "openrouter::m/quirky"] {
                        #expect(try await proxy.post("/v1/messages", thinking(model)).status == 200)
                    }
                    // The default provider gets what it always got ...
                    let plain = try #require(chutes.completionRequests.first?.body)
                    #expect(plain["max_tokens"] != nil && plain["max_completion_tokens"] == nil)
                    #expect(plain["stream_options"] != nil && plain["chat_template_kwargs"] != nil && plain["reasoning_effort"] != nil)
                    #expect(plain["messages"]?[1]?["reasoning_content"] != nil || plain["messages"]?[1]?["reasoning"] != nil)
                    // ... the quirky provider what its entry says.
                    let sent = try #require(other.completionRequests.first?.body)
                    #expect(sent["max_completion_tokens"]?.intValue == 2000 && sent["max_tokens"] == nil)
                    #expect(sent["stream_options"] == nil && sent["chat_template_kwargs"] == nil && sent["reasoning_effort"] == nil)
                    #expect(sent["messages"]?[1]?["reasoning_content"] == nil && sent["messages"]?[1]?["reasoning"] == nil)
                }
            }
        }
    }

    @Test func checkReachesEveryProviderWithItsOwnKey() async throws {
        let report = try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json(ScriptedUpstream.models)
        } run: { chutes in
            try await withScriptedUpstream { request, _ in
                if request.head.target.hasPrefix("/or/") {
                    #expect(request.headers["Authorization"] == "Bearer \(openRouterKey)")
                    return ScriptedUpstream.json(["data": [["id": "openai/gpt-4o"]]])
                }
                return ScriptedUpstream.json(["error": ["message": JSONValue("no such key \(deepSeekKey)")]], status: .unauthorized)
            } run: { other in
                let providers = """
                    [{"name":"openrouter","base_url":"\(other.baseURL)/or","api_key_env":"OPENROUTER_API_KEY","max_tokens_field":"max_completion_tokens"},
                     {"name":"deepseek","base_url":"\(other.baseURL)/ds","api_key_env":"DEEPSEEK_API_KEY","auth":"x-api-key"},
                     {"name":"ollama","base_url":"\(other.baseURL)/local","models_endpoint":null}]
                    """
                let configuration = try ProxyConfiguration(environment: [
                    "CHUTES_BASE_URL": chutes.baseURL, "PROVIDERS": providers, "OPENROUTER_API_KEY": openRouterKey, "DEEPSEEK_API_KEY": deepSeekKey,
                    "MODEL_MAP": #"{"a": "openrouter::openai/gpt-4o", "b": "openrouter::no/such"}"#,
                ])
                return await ConfigurationCheck.run(configuration)
            }
        }
        #expect(report.lines.contains("models offered: 2"), "the default provider as before")
        #expect(report.lines.contains { $0.hasPrefix("provider openrouter: http://") && $0.hasSuffix("/or") })
        #expect(report.lines.contains("  key: api_key_env OPENROUTER_API_KEY, sent as bearer"))
        #expect(report.lines.contains("  quirks: max_tokens_field=max_completion_tokens"))
        #expect(report.lines.contains("    openrouter::openai/gpt-4o"))
        #expect(report.lines.contains("  models: not listed (models_endpoint null)"))
        #expect(report.lines.filter { $0.hasPrefix("warning:") } == ["warning: MODEL_MAP sends requests to openrouter::no/such, which provider openrouter does not list"])
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.hasPrefix("provider deepseek: GET") == true && report.problems.first?.contains("answered 401") == true)
        let text = (report.lines + report.problems).joined(separator: "\n")
        #expect(!text.contains(openRouterKey) && !text.contains(deepSeekKey))
    }

    /// With no PROVIDERS nothing changes: the client's key as before, names as before, no
    /// provider label on any series.
    @Test func withoutProvidersTheDefaultPathIsUnchanged() async throws {
        try await withScriptedUpstream { request, _ in
            request.method == "GET" ? ScriptedUpstream.json(ScriptedUpstream.models) : answer
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["MODEL_MAP": #"{"claude-*": "deepseek-ai/DeepSeek-V3"}"#]) { proxy in
                let response = try await proxy.post("/v1/messages", hello)
                #expect(response.status == 200)
                #expect(response.headers["X-Upstream-Model"] == "deepseek-ai/DeepSeek-V3")
                let sent = try #require(upstream.completionRequests.first)
                #expect(sent.path == "/v1/chat/completions" && sent.headers["Authorization"] == "Bearer \(clientKey)")
                #expect(sent.headers.map(\.name).sorted() == ["Accept", "Authorization", "Content-Length", "Content-Type", "Host"].sorted())
                let samples = try await metrics(proxy)
                #expect(samples[#"chutes_proxy_upstream_latency_seconds_count{model="deepseek-ai/DeepSeek-V3"}"#] == 1)
                #expect(!samples.keys.contains { $0.contains("provider=") })
            }
        }
    }
}
