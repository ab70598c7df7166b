import AsyncIO
import HTTP1
import JSON
import Synchronization
import TestSupport
import Testing

@testable import ChutesProxy

/// Fallback lists, the circuit breaker and routes by scenario.
@Suite struct RoutingTests {
    // MARK: Circuit breaker

    @Test func theBreakerOpensSkipsHalfOpensAndCloses() async {
        var settings = CircuitBreakerSettings()
        settings.failureThreshold = 2
        settings.coolDown = .seconds(10)
        settings.maximumCoolDown = .seconds(25)
        let breaker = CircuitBreaker(settings: settings)
        let start = Deadline.now
        #expect(await breaker.admit("a", now: start) == .allowed)
        await breaker.recordFailure("a", now: start)
        #expect(await breaker.admit("a", now: start) == .allowed, "one failure is not enough")
        await breaker.recordFailure("a", now: start)
        #expect(await breaker.admit("a", now: start.adding(.seconds(9))) == .skip(until: start.adding(.seconds(10))))
        #expect(await breaker.admit("b", now: start) == .allowed, "one circuit per model")
        // Cool-down over: one request probes, the others still skip.
        #expect(await breaker.admit("a", now: start.adding(.seconds(10))) == .probe)
        if case .skip = await breaker.admit("a", now: start.adding(.seconds(10))) {} else { Issue.record("a second request must skip while one probes") }
        // The probe fails: open again for twice as long.
        await breaker.recordFailure("a", now: start.adding(.seconds(10)))
        #expect(await breaker.admit("a", now: start.adding(.seconds(29))) == .skip(until: start.adding(.seconds(30))))
        #expect(await breaker.admit("a", now: start.adding(.seconds(30))) == .probe)
        await breaker.recordFailure("a", now: start.adding(.seconds(30)))
        #expect(await breaker.admit("a", now: start.adding(.seconds(54))) == .skip(until: start.adding(.seconds(55))), "capped at 25 s")
        // A probe that succeeds closes the circuit.
        #expect(await breaker.admit("a", now: start.adding(.seconds(55))) == .probe)
        await breaker.recordSuccess("a")
        #expect(await breaker.admit("a", now: start.adding(.seconds(55))) == .allowed)
        await breaker.recordFailure("a", now: start.adding(.seconds(56)))
        #expect(await breaker.admit("a", now: start.adding(.seconds(56))) == .allowed, "the count starts again after a success")
    }

    @Test func retryAfterSetsTheCoolDownAtOnce() async {
        let breaker = CircuitBreaker(settings: CircuitBreakerSettings())
        let start = Deadline.now
        await breaker.recordFailure("a", retryAfter: .seconds(7), now: start)
        #expect(await breaker.admit("a", now: start.adding(.seconds(6))) == .skip(until: start.adding(.seconds(7))))
        #expect(await breaker.admit("a", now: start.adding(.seconds(7))) == .probe)
    }

    // MARK: Route configuration

    @Test func routesAreReadAndDescribed() throws {
        let configuration = try ProxyConfiguration(environment: [
            "ROUTES":
                #"[{"name":"background","when":{"model":"claude-*haiku*"},"models":"small/Fast"},{"name":"think","when":{"thinking":true,"tools":true},"models":["r/One","r/Two,r/Three:latency"]},{"name":"long","when":{"min_input_tokens":1000},"models":["l/Long"]},{"name":"vision","when":{"images":true},"models":["v/Vision"]},{"name":"default","models":["d/A","d/B"]}]"#,
            "MODEL_MAP": #"{"claude-*": ["m/One", "m/Two"]}"#,
            "BREAKER_FAILURES": "5", "BREAKER_COOLDOWN": "12", "BREAKER_MAX_COOLDOWN": "120",
        ])
        #expect(configuration.routes.routes.map(\.name) == ["background", "think", "long", "vision", "default"])
        #expect(configuration.routes.routes[1].models == ["r/One", "r/Two,r/Three:latency"])
        #expect(configuration.circuitBreaker.failureThreshold == 5 && configuration.circuitBreaker.coolDown == .seconds(12))
        let text = configuration.routingDescription
        #expect(text.contains("1. background: model=claude-*haiku* -> small/Fast"))
        #expect(text.contains("2. think: thinking=true and tools=true -> r/One | r/Two,r/Three:latency"))
        #expect(text.contains("5. default: always -> d/A | d/B"))
        #expect(text.contains("claude-* -> m/One | m/Two"))
        #expect(text.contains("after 5 failures in a row for 12 s, doubling up to 120 s"))
    }

    @Test(arguments: [
        (#"{"name":"x"}"#, "must be a JSON array"),
        (#"[{"name":"x"}]"#, #"route 1 ("x"): "models" is required"#),
        (#"[{"name":"x","models":[]}]"#, #"route 1 ("x"): "models" must be a model name, a {"provider":...,"model":...} object or a non-empty array"#),
        (#"[{"name":"x","models":"m","when":{"thinkng":true}}]"#, #"route 1 ("x"): unknown condition "thinkng""#),
        (#"[{"models":"m"},{"name":"y","models":"m","when":{"images":"yes"}}]"#, #"route 2 ("y"): "images" must be true or false"#),
        (#"[{"name":"x","models":"m","when":{"min_input_tokens":-1}}]"#, #""min_input_tokens" must be a whole number"#),
        (#"[{"name":"x","model":"m"}]"#, #"unknown field "model""#),
    ])
    func invalidRoutesStopStartUpNamingTheProblem(routes: String, problem: String) {
        do {
            _ = try ProxyConfiguration(environment: ["ROUTES": routes])
            Issue.record("\(routes) must be refused")
        } catch {
            #expect(error.variable == "ROUTES")
            #expect(error.problem.contains(problem), "\(error.problem)")
        }
    }

    @Test func otherInvalidRoutingSettingsAreRefused() {
        for (environment, variable) in [
            (["MODEL_MAP": #"{"claude-*": []}"#], "MODEL_MAP"),
            (["MODEL_MAP": #"{"claude-*": ["a", 1]}"#], "MODEL_MAP"),
            (["ROUTES_FILE": "/nonexistent/routes.json"], "ROUTES_FILE"),
            (["ROUTES": "[]", "ROUTES_FILE": "/tmp/x.json"], "ROUTES_FILE"),
            (["BREAKER_FAILURES": "0"], "BREAKER_FAILURES"),
            (["BREAKER_COOLDOWN": "60", "BREAKER_MAX_COOLDOWN": "10"], "BREAKER_MAX_COOLDOWN"),
        ] {
            #expect(throws: ConfigurationError.self, "\(environment)") { try ProxyConfiguration(environment: environment) }
            do { _ = try ProxyConfiguration(environment: environment) } catch { #expect(error.variable == variable) }
        }
    }

    // MARK: Route conditions

    static func request(_ body: JSONValue, headers: HTTPHeaders = ["x-api-key": "k"]) throws -> MessagesRequest {
        try MessagesRequest.parse(HTTPRequest(head: HTTPRequestHead(method: "POST", target: "/v1/messages", headers: headers), body: body.serialized()), key: { _ in "k" })
    }

    static let table = try! RouteTable(
        json:
            #"[{"name":"background","when":{"model":"claude-*haiku*"},"models":"small/Fast"},{"name":"think","when":{"thinking":true},"models":["r/One","pool/A,pool/B"]},{"name":"long","when":{"min_input_tokens":2000},"models":["l/Long"]},{"name":"vision","when":{"images":true},"models":["text/Only","v/Vision"]},{"name":"agent","when":{"tools":true},"models":["t/Tools"]}]"#,
        variable: "ROUTES")

    static func plan(_ body: JSONValue, map: ModelMap = ModelMap()) async throws -> RoutePlan {
        let request = try request(body)
        return await ModelRoute.plan(for: request, routes: table, map: map) { model in model.hasPrefix("text/") ? false : nil }
    }

    @Test func eachRouteConditionMatches() async throws {
        let user: JSONValue = [["role": "user", "content": "hi"]]
        #expect(try await Self.plan(["model": "claude-3-5-haiku-20241022", "max_tokens": 5, "messages": user]) == RoutePlan(route: "background", candidates: ["small/Fast"]))
        #expect(
            try await Self.plan(["model": "claude-sonnet-4-5", "max_tokens": 5, "messages": user, "thinking": ["type": "enabled", "budget_tokens": 2000]])
                == RoutePlan(route: "think", candidates: ["r/One", "pool/A,pool/B"]), "a route list with a Chutes pool entry")
        #expect(try await Self.plan(["model": "claude-sonnet-4-5:thinking", "max_tokens": 5, "messages": user]).route == "think")
        let long = String(repeating: "word ", count: 3000)
        #expect(try await Self.plan(["model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [["role": "user", "content": JSONValue(long)]]]).route == "long")
        let image: JSONValue = [["role": "user", "content": [["type": "image", "source": ["type": "url", "url": "https://x/cat.png"]], ["type": "text", "text": "what?"]]]]
        #expect(
            try await Self.plan(["model": "claude-sonnet-4-5", "max_tokens": 5, "messages": image]) == RoutePlan(route: "vision", candidates: ["v/Vision"]), "a text-only model is skipped for images")
        #expect(try await Self.plan(["model": "claude-sonnet-4-5", "max_tokens": 5, "messages": user, "tools": [["name": "Bash", "input_schema": ["type": "object"]]]]).route == "agent")
        // Nothing matches: MODEL_MAP (a fallback list), else the name as asked.
        let map = try ModelMap(json: #"{"claude-*": ["m/One", "m/Two"]}"#)
        #expect(try await Self.plan(["model": "claude-sonnet-4-5", "max_tokens": 5, "messages": user], map: map) == RoutePlan(route: "MODEL_MAP:claude-*", candidates: ["m/One", "m/Two"]))
        #expect(try await Self.plan(["model": "other", "max_tokens": 5, "messages": user]) == RoutePlan(route: nil, candidates: ["other"]))
    }

    @Test func aRouteWhoseModelsAllTakeOnlyTextIsPassedOverForImages() async throws {
        let table = try RouteTable(json: #"[{"name":"text","when":{"model":"claude-*"},"models":["text/A","text/B"]},{"name":"rest","models":"v/Vision"}]"#, variable: "ROUTES")
        let request = try Self.request([
            "model": "claude-x", "max_tokens": 5, "messages": [["role": "user", "content": [["type": "image", "source": ["type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="]]]]],
        ])
        let plan = await ModelRoute.plan(for: request, routes: table, map: ModelMap()) { $0.hasPrefix("text/") ? false : nil }
        #expect(plan == RoutePlan(route: "rest", candidates: ["v/Vision"]))
    }

    // MARK: Fallback, end to end

    /// Runs `body` against an upstream that answers completions per model: `failing` models
    /// with `failure`, others with text.
    static func withUpstream(
        failing: Set<String>, failure: @escaping @Sendable () async -> HTTPResponse, run body: (ScriptedUpstream) async throws -> Void
    ) async throws {
        try await withScriptedUpstream(
            { request, _ in
                if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.chutesModels) }
                let body = (try? JSONValue(parsing: request.body)) ?? nil
                let model = body["model"]?.stringValue ?? ""
                if failing.contains(model) { return await failure() }
                if body["stream"]?.boolValue == true { return ScriptedUpstream.stream([chunk(["content": JSONValue("from \(model)")], finish: "stop")]) }
                return ScriptedUpstream.completion(["role": "assistant", "content": JSONValue("from \(model)")])
            }, run: body)
    }

    static let fallbackMap = ["MODEL_MAP": #"{"claude-*": ["zai-org/GLM-4.6", "deepseek-ai/DeepSeek-V3.1"]}"#]

    static func answerText(_ response: (status: HTTPStatus, headers: HTTPHeaders, body: [UInt8]), stream: Bool) throws -> String? {
        if stream { return AnthropicStreamChecker(try RunningProxy.events(response.body)).finalMessage["content"]?[0]?["text"]?.stringValue }
        return try JSONValue(parsing: response.body)["content"]?[0]?["text"]?.stringValue
    }

    @Test(arguments: [
        ("capacity 429", 429), ("500", 500), ("502", 502), ("503", 503), ("504", 504), ("529", 529), ("timeout", 0),
    ])
    func aFailingFirstModelFallsOverToTheNext(scenario: String, status: HTTPStatus) async throws {
        var environment = Self.fallbackMap
        environment["UPSTREAM_TIMEOUT"] = "0.3"
        try await Self.withUpstream(failing: ["zai-org/GLM-4.6"]) {
            switch status {
            case 429: return ScriptedUpstream.chutesError(429, "Infrastructure is at maximum capacity, try again later")
            case 0:
                try? await Task.sleep(for: .seconds(3600))  // no response head: UPSTREAM_TIMEOUT
                return ScriptedUpstream.json([:])
            default: return ScriptedUpstream.json(["error": ["message": JSONValue("scripted \(status)")]], status: status)
            }
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: environment) { proxy in
                for stream in [false, true] {
                    let response = try await proxy.post("/v1/messages", ChutesBehaviourTests.request("claude-sonnet-4-5", stream: stream))
                    #expect(response.status == 200, "\(scenario)")
                    #expect(response.headers["X-Upstream-Model"] == "deepseek-ai/DeepSeek-V3.1")
                    #expect(try Self.answerText(response, stream: stream) == "from deepseek-ai/DeepSeek-V3.1", "\(scenario) stream=\(stream)")
                }
            }
            #expect(
                upstream.completionRequests.map { $0.body?["model"]?.stringValue ?? "" } == [
                    "zai-org/GLM-4.6", "deepseek-ai/DeepSeek-V3.1", "zai-org/GLM-4.6", "deepseek-ai/DeepSeek-V3.1",
                ])
        }
    }

    @Test(arguments: [400, 401, 402, 403, 404])
    func requestErrorsDoNotFallOver(status: HTTPStatus) async throws {
        try await Self.withUpstream(failing: ["zai-org/GLM-4.6"]) {
            ScriptedUpstream.chutesError(status, JSONValue("scripted \(status)"))
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: Self.fallbackMap.merging(["AUTO_FIX_MODEL_CASE": "0"]) { $1 }) { proxy in
                for stream in [false, true] {
                    let response = try await proxy.post("/v1/messages", ChutesBehaviourTests.request("claude-sonnet-4-5", stream: stream))
                    #expect(response.status == status)
                    // Issue 21, item 5: error responses lacked it.
                    #expect(response.headers["X-Upstream-Model"] == "zai-org/GLM-4.6")
                }
            }
            #expect(upstream.completionRequests.allSatisfy { $0.body?["model"]?.stringValue == "zai-org/GLM-4.6" })
            #expect(upstream.completionRequests.count == 2)
        }
    }

    @Test func whenEveryModelFailsTheClientGetsTheLastFailure() async throws {
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.chutesModels) }
            let model = (try? JSONValue(parsing: request.body))?["model"]?.stringValue ?? ""
            return model == "zai-org/GLM-4.6"
                ? ScriptedUpstream.chutesError(429, "Infrastructure is at maximum capacity") : ScriptedUpstream.json(["error": ["message": "second one broke"]], status: 500)
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: Self.fallbackMap) { proxy in
                let response = try await proxy.post("/v1/messages", ChutesBehaviourTests.request("claude-sonnet-4-5"))
                #expect(response.status == 500)
                #expect(try JSONValue(parsing: response.body)["error"]?["message"]?.stringValue?.contains("second one broke") == true)
                // Issue 21, item 5: the model the failure is about, the last one tried.
                #expect(response.headers["X-Upstream-Model"] == "deepseek-ai/DeepSeek-V3.1")
            }
        }
    }

    @Test func aModelThatKeepsFailingIsSkippedUntilItsCoolDownEnds() async throws {
        try await Self.withUpstream(failing: ["zai-org/GLM-4.6"]) {
            ScriptedUpstream.chutesError(429, "Infrastructure is at maximum capacity, try again later")
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: Self.fallbackMap.merging(["BREAKER_FAILURES": "2", "BREAKER_COOLDOWN": "600"]) { $1 }) { proxy in
                for _ in 0..<4 {
                    let response = try await proxy.post("/v1/messages", ChutesBehaviourTests.request("claude-sonnet-4-5"))
                    #expect(response.status == 200)
                }
            }
            // Two failures open the circuit: the next two requests go straight to the second model.
            #expect(
                upstream.completionRequests.map { $0.body?["model"]?.stringValue ?? "" } == [
                    "zai-org/GLM-4.6", "deepseek-ai/DeepSeek-V3.1", "zai-org/GLM-4.6", "deepseek-ai/DeepSeek-V3.1",
                    "deepseek-ai/DeepSeek-V3.1", "deepseek-ai/DeepSeek-V3.1",
                ])
        }
    }

    @Test func whenEveryModelIsCoolingDownTheFirstReadyIsTriedAnywayAndItsFailureDoesNotExtendItsCoolDown() async throws {
        let completions = Counter()
        let environment = Self.fallbackMap.merging(["BREAKER_FAILURES": "1", "BREAKER_COOLDOWN": "600"]) { $1 }
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.chutesModels) }
            // The first three completions fail as overloaded; the rest succeed.
            if completions.increment() <= 3 { return ScriptedUpstream.json(["error": ["message": "overloaded"]], status: 503) }
            return ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: environment) { proxy in
                var statuses: [HTTPStatus] = []
                for _ in 0..<3 {
                    statuses.append(try await proxy.post("/v1/messages", ChutesBehaviourTests.request("claude-sonnet-4-5")).status)
                }
                // 1: both models fail and cool down. 2: both are cooling down; the first to be
                // ready (GLM) is tried anyway and fails. 3: GLM is still the first ready, which it
                // would not be had that failure doubled its cool-down; it answers.
                #expect(statuses == [529, 529, 200])
            }
            #expect(
                upstream.completionRequests.map { $0.body?["model"]?.stringValue ?? "" } == [
                    "zai-org/GLM-4.6", "deepseek-ai/DeepSeek-V3.1", "zai-org/GLM-4.6", "zai-org/GLM-4.6",
                ])
        }
    }

    @Test func aRouteListWithAPoolEntrySendsThePoolAsOneEntry() async throws {
        let routes = ["ROUTES": #"[{"name":"default","models":["zai-org/GLM-4.6","small/tiny-8k,qwen/qwen2.5-vl-32b-instruct:latency"]}]"#]
        try await Self.withUpstream(failing: ["zai-org/GLM-4.6"]) {
            ScriptedUpstream.json(["error": ["message": "down"]], status: 503)
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: routes) { proxy in
                let response = try await proxy.post("/v1/messages", ChutesBehaviourTests.request("claude-sonnet-4-5"))
                #expect(response.status == 200)
            }
            #expect(upstream.completionRequests.map { $0.body?["model"]?.stringValue ?? "" } == ["zai-org/GLM-4.6", "small/Tiny-8K,Qwen/Qwen2.5-VL-32B-Instruct:latency"])
        }
    }
}
