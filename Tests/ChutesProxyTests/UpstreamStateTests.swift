import AsyncIO
import HTTP1
import JSON
import Locking
import TestSupport
import Testing
import Translation

@testable import ChutesProxy

@Suite struct UpstreamStateTests {
    @Test func callersOfOneFetchShareItAndAllGetTheSameAnswerWhenItFails() async throws {
        let calls = Mutex(0)
        let fetchStarted = Signal()
        let release = Signal()
        let catalog = ModelCatalog(ttl: .zero) {
            let call = calls.withLock {
                $0 += 1; return $0
            }
            if call == 1 { return ["deepseek-ai/DeepSeek-V3"] }
            fetchStarted.fire()
            await release.wait()
            throw AnthropicError(status: 500, message: "down")
        }
        #expect(await catalog.correctedName("deepseek-ai/deepseek-v3") == "deepseek-ai/DeepSeek-V3")
        // The list is stale at once (TTL 0): the next lookup starts a fetch that fails; one
        // more joins it while it is in flight. Both get the last good list.
        let starter = Task { await catalog.correctedName("deepseek-ai/deepseek-v3") }
        await fetchStarted.wait()
        let joiner = Task { await catalog.correctedName("DEEPSEEK-AI/DeepSeek-v3") }
        while await catalog.joinedFetches < 1 { await Task.yield() }
        release.fire()
        #expect(await starter.value == "deepseek-ai/DeepSeek-V3")
        #expect(await joiner.value == "deepseek-ai/DeepSeek-V3")
        #expect(calls.withLock { $0 } == 2, "one initial fetch and exactly one shared refetch")
        // The failure is backed off: another lookup fetches nothing and keeps the stale list.
        #expect(await catalog.correctedName("deepseek-ai/deepseek-v3") == "deepseek-ai/DeepSeek-V3")
        #expect(calls.withLock { $0 } == 2)
    }

    @Test func aCancelledCallerStopsWaitingForAFetch() async throws {
        let fetchStarted = Signal()
        let catalog = ModelCatalog(ttl: .seconds(300)) {
            fetchStarted.fire()
            try await Task.sleep(for: .seconds(3600))
            return []
        }
        let waiting = Task { await catalog.modelList() }
        await fetchStarted.wait()
        waiting.cancel()
        #expect(await waiting.value == nil)
    }

    @Test func aSlowListIsWaitedForOnlyBriefly() async throws {
        let catalog = ModelCatalog(ttl: .seconds(300), maximumWait: .milliseconds(50)) {
            try await Task.sleep(for: .seconds(3600))
            return []
        }
        let start = ContinuousClock.now
        #expect(await catalog.modelList() == nil)
        // 50 ms asked for: well under the 5 s default, so a catalog that ignores
        // `maximumWait` fails here; loose enough for a loaded machine.
        let waited = ContinuousClock.now - start
        #expect(waited < .seconds(2), "waited \(waited)")
    }

    @Test func correctionNeverGuesses() async {
        let catalog = ModelCatalog(ttl: .seconds(300)) {
            ["deepseek-ai/DeepSeek-V3", "Qwen/Qwen3-32B", "other/Qwen3-32B", "zai-org/GLM-4.6"]
        }
        #expect(await catalog.correctedName("DEEPSEEK-AI/deepseek-v3") == "deepseek-ai/DeepSeek-V3")
        #expect(await catalog.correctedName("glm-4.6") == "zai-org/GLM-4.6")
        #expect(await catalog.correctedName("qwen3-32b") == "qwen3-32b", "two models end in Qwen3-32B: no guess")
        #expect(await catalog.correctedName("deepseek-v3.1") == "deepseek-v3.1")
    }

    @Test func retryDelaysFollowRetryAfterWithinTheCap() {
        let cap = Duration.seconds(2)
        #expect(RetryState.delay(retryAfter: "1", attempt: 0, cap: cap) == .seconds(1))
        #expect(RetryState.delay(retryAfter: "30", attempt: 0, cap: cap) == .seconds(2))
        #expect(RetryState.delay(retryAfter: "Wed, 21 Oct 2015 07:28:01 GMT", attempt: 0, cap: cap, now: 1_445_412_480) == .seconds(1))
        let backoff = RetryState.delay(retryAfter: nil, attempt: 1, cap: cap)
        #expect(backoff >= .milliseconds(375) && backoff <= .milliseconds(625))
        #expect(HTTPDate.parse("Wed, 21 Oct 2015 07:28:00 GMT") == 1_445_412_480)
    }

    @Test func everyRequestWaitsOutASharedCoolDown() async throws {
        let state = RetryState()
        await state.coolDown(for: .milliseconds(200))
        let start = ContinuousClock.now
        async let one: Void = state.waitForCoolDown()
        async let two: Void = state.waitForCoolDown()
        _ = try await (one, two)
        #expect(ContinuousClock.now - start >= .milliseconds(150))
    }

    @Test func aStale404RefreshesTheModelListAndRetriesOnce() async throws {
        let listFetches = Mutex(0)
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") {
                let fetch = listFetches.withLock {
                    $0 += 1; return $0
                }
                // The first list predates the model; the refreshed one has it.
                let ids: [JSONValue] = fetch == 1 ? ["old/Model"] : ["old/Model", "new/Shiny-Model"]
                return ScriptedUpstream.json(["data": .array(ids.map { ["id": $0] })])
            }
            let model = (try? JSONValue(parsing: request.body))?["model"]?.stringValue
            return model == "new/Shiny-Model"
                ? ScriptedUpstream.completion(["role": "assistant", "content": "found"])
                : ScriptedUpstream.json(["error": ["message": "model not found"]], status: 404)
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                let response = try await proxy.post("/v1/messages", ["model": "new/shiny-model", "max_tokens": 5, "messages": [["role": "user", "content": "x"]]])
                #expect(response.status == 200)
                #expect(upstream.completionRequests.map { $0.body?["model"]?.stringValue ?? "" } == ["new/shiny-model", "new/Shiny-Model"])
            }
        }
    }

    @Test(arguments: [
        (["MODEL_MAP": "{not json"], "MODEL_MAP"),
        (["MODEL_MAP": #"{"a": 1}"#], "MODEL_MAP"),
        (["TOOL_NAME_MAP": "[]"], "TOOL_NAME_MAP"),
        (["PORT": "80a"], "PORT"),
        (["CHUTES_AUTH_STYLE": "cookie"], "CHUTES_AUTH_STYLE"),
        (["CHUTES_BASE_URL": "ftp://x"], "CHUTES_BASE_URL"),
        (["DEBUG_PROXY": "maybe"], "DEBUG_PROXY"),
        (["PROXY_MAX_RETRY_AFTER": "soon"], "PROXY_MAX_RETRY_AFTER"),
        (["MAX_TOKENS_CAP": "0"], "MAX_TOKENS_CAP"),
        (["TOOL_CALL_PARSER": "cobol"], "TOOL_CALL_PARSER"),
        (["THINKING_TEMPLATE_KWARGS": "true"], "THINKING_TEMPLATE_KWARGS"),
    ])
    func invalidSettingsStopStartUpNamingTheVariable(environment: [String: String], variable: String) {
        do {
            _ = try ProxyConfiguration(environment: environment)
            Issue.record("\(environment) must be refused")
        } catch {
            #expect(error.variable == variable)
        }
    }

    @Test(arguments: ["minimax_m2", "MiniMax-M2", "glm47", "ernie45", "kimi_k3", "gemma4", "off"])
    func everyToolCallParserNameIsTaken(name: String) throws {
        let choice = try ProxyConfiguration(environment: ["TOOL_CALL_PARSER": name]).toolCallParser
        #expect(choice == (name == "off" ? .off : .family(try #require(ToolCallFamily(setting: name)))))
    }

    @Test func settingsAreRead() throws {
        let configuration = try ProxyConfiguration(environment: [
            "CHUTES_BASE_URL": "https://example.com/prefix/", "CHUTES_API_KEY": "k", "CHUTES_AUTH_STYLE": "authorization",
            "MODEL_MAP": #"{"claude-*":"m"}"#, "AUTO_FIX_MODEL_CASE": "0", "DEBUG_PROXY": "true", "PROXY_BACKOFF_ON_429": "off",
            "PROXY_MAX_RETRY_ON_429": "3", "PROXY_MAX_RETRY_AFTER": "1.5", "MODEL_DISCOVERY_TTL": "60", "TOOL_CALL_PARSER": "qwen3_coder",
            "MAX_TOKENS_CAP": "8192", "UPSTREAM_TIMEOUT": "30",
        ])
        #expect(configuration.upstreamBaseURL.appending("/v1/models").description == "https://example.com/prefix/v1/models")
        #expect(configuration.authStyle == .header)
        #expect(configuration.modelMap.upstreamModel(for: "claude-opus") == "m")
        #expect(!configuration.autoFixModelCase && configuration.debug && !configuration.backoffOn429)
        #expect(configuration.maxRetriesOn429 == 3 && configuration.maxRetryAfter == .milliseconds(1500))
        #expect(configuration.modelDiscoveryTTL == .seconds(60) && configuration.maxTokensCap == 8192)
        #expect(configuration.upstreamResponseTimeout == .seconds(30) && configuration.toolCallParser == .family(.qwen3Coder))
    }
}

extension ModelInfo: ExpressibleByStringLiteral {
    public init(stringLiteral id: String) { self.init(id: id) }
}
