import Foundation
import HTTP1
import JSON
import Locking
import Testing

@testable import ChutesProxy

private let upstreamKey = "sk-upstream-chutes-key-9999"

private func ask(_ model: String = "deepseek-ai/DeepSeek-V3", stream: Bool = false) -> JSONValue {
    ["model": JSONValue(model), "max_tokens": 10, "stream": JSONValue(stream), "messages": [["role": "user", "content": "Hi"]]]
}

/// A proxy with `keys` as its keys file, before an upstream answering every completion with
/// 12 input and 3 output tokens.
private func withLimitedProxy(
    _ keys: String, upstreamGate: Gate? = nil, _ body: (RunningProxy, ScriptedUpstream) async throws -> Void
) async throws {
    let directory = try KeysDirectory()
    let path = try directory.write("keys.json", keys)
    try await withScriptedUpstream { request, _ in
        if let upstreamGate, request.path.hasSuffix("/chat/completions") { await upstreamGate.wait() }
        return ScriptedUpstream.completion(["role": "assistant", "content": "Hello!"], usage: ["prompt_tokens": 12, "completion_tokens": 3])
    } run: { upstream in
        try await withRunningProxy(upstream: upstream, environment: ["PROXY_KEYS_FILE": path, "CHUTES_API_KEY": upstreamKey, "AUTO_FIX_MODEL_CASE": "0"]) { proxy in
            try await body(proxy, upstream)
        }
    }
}

private func isRFC3339(_ text: String?) -> Bool {
    guard let text else { return false }
    return text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/) != nil
}

@Suite struct KeyLimitsTests {
    @Test func requestsPerMinuteAreAnsweredAsAnthropicAnswersThem() async throws {
        try await withLimitedProxy(#"[{"name": "alice", "key": "team-key-alice-0001", "requests_per_minute": 2}, {"name": "bob", "key": "team-key-bob-0002"}]"#) { proxy, upstream in
            let alice: HTTPHeaders = ["x-api-key": "team-key-alice-0001"]
            for remaining in ["1", "0"] {
                let response = try await proxy.post("/v1/messages", ask(), headers: alice)
                #expect(response.status == 200)
                #expect(response.headers["anthropic-ratelimit-requests-limit"] == "2")
                #expect(response.headers["anthropic-ratelimit-requests-remaining"] == remaining)
                #expect(isRFC3339(response.headers["anthropic-ratelimit-requests-reset"]))
                // No token limit: no token headers.
                #expect(response.headers["anthropic-ratelimit-input-tokens-limit"] == nil)
            }
            let refused = try await proxy.post("/v1/messages", ask(), headers: alice)
            #expect(refused.status == 429)
            let body = try JSONValue(parsing: refused.body)
            #expect(body["error"]?["type"] == "rate_limit_error")
            #expect(body["error"]?["message"]?.stringValue?.contains("requests_per_minute 2") == true)
            let retryAfter = try #require(refused.headers["retry-after"].flatMap { Int($0) })
            #expect((1...60).contains(retryAfter))
            #expect(refused.headers["anthropic-ratelimit-requests-remaining"] == "0")
            #expect(upstream.completionRequests.count == 2)
            // Another key is not held back, and an unlimited key gets no rate-limit headers.
            let bob = try await proxy.post("/v1/messages", ask(), headers: ["x-api-key": "team-key-bob-0002"])
            #expect(bob.status == 200)
            #expect(bob.headers["anthropic-ratelimit-requests-limit"] == nil)
        }
    }

    @Test func aModelOutsideTheKeysGlobsIsForbidden() async throws {
        try await withLimitedProxy(#"[{"name": "alice", "key": "team-key-alice-0001", "models": ["DeepSeek-AI/*", "claude-?-haiku"]}]"#) { proxy, upstream in
            let alice: HTTPHeaders = ["x-api-key": "team-key-alice-0001"]
            #expect(try await proxy.post("/v1/messages", ask("deepseek-ai/DeepSeek-V3"), headers: alice).status == 200)
            for model in ["Qwen/Qwen3-Coder-480B-A35B-Instruct", "deepseek-ai", "claude-3-5-haiku"] {
                let refused = try await proxy.post("/v1/messages", ask(model), headers: alice)
                #expect(refused.status == 403, "\(model)")
                #expect(try JSONValue(parsing: refused.body)["error"]?["type"] == "permission_error")
            }
            #expect(upstream.completionRequests.count == 1)
        }
    }

    @Test func tokenLimitsCountWhatTheUpstreamReported() async throws {
        let keys = #"[{"name": "alice", "key": "team-key-alice-0001", "input_tokens_per_minute": 1000, "output_tokens_per_minute": 5, "tokens_per_day": 100000}]"#
        try await withLimitedProxy(keys) { proxy, upstream in
            let alice: HTTPHeaders = ["x-api-key": "team-key-alice-0001"]
            let first = try await proxy.post("/v1/messages", ask(), headers: alice)
            #expect(first.status == 200)
            // Charged the estimate before the call.
            let estimate = 1000 - (try #require(first.headers["anthropic-ratelimit-input-tokens-remaining"].flatMap { Int($0) }))
            try #require(estimate > 0 && estimate != 12)
            #expect(first.headers["anthropic-ratelimit-output-tokens-remaining"] == "5")
            #expect(isRFC3339(first.headers["anthropic-ratelimit-tokens-reset"]))
            let second = try await proxy.post("/v1/messages", ask(), headers: alice)
            #expect(second.status == 200)
            // The first request settled at the upstream's 12 input and 3 output tokens.
            #expect(second.headers["anthropic-ratelimit-input-tokens-remaining"] == String(1000 - 12 - estimate))
            #expect(second.headers["anthropic-ratelimit-output-tokens-remaining"] == "2")
            // tokens-*: the tightest token limit, here output tokens.
            #expect(second.headers["anthropic-ratelimit-tokens-limit"] == "5")
            // 6 output tokens of 5 spent: refused until the minute ends.
            let refused = try await proxy.post("/v1/messages", ask(), headers: alice)
            #expect(refused.status == 429)
            #expect(try JSONValue(parsing: refused.body)["error"]?["message"]?.stringValue?.contains("output_tokens_per_minute 5 (6 used)") == true)
            #expect(refused.headers["retry-after"] != nil)
            #expect(upstream.completionRequests.count == 2)
        }
    }

    @Test func concurrentRequestsOfAKeyAreCapped() async throws {
        let gate = Gate()
        try await withLimitedProxy(#"[{"name": "alice", "key": "team-key-alice-0001", "max_concurrent_requests": 1}]"#, upstreamGate: gate) { proxy, upstream in
            let alice: HTTPHeaders = ["x-api-key": "team-key-alice-0001"]
            let first = Task { try await proxy.post("/v1/messages", ask(), headers: alice) }
            // Wait until the first request is at the upstream, held there.
            let deadline = ContinuousClock.now + .seconds(10)
            while upstream.completionRequests.isEmpty && ContinuousClock.now < deadline { await Task.yield() }
            let second = try await proxy.post("/v1/messages", ask(), headers: alice)
            #expect(second.status == 429)
            #expect(second.headers["retry-after"] == "1")
            #expect(try JSONValue(parsing: second.body)["error"]?["message"]?.stringValue?.contains("max_concurrent_requests") == true)
            gate.open()
            #expect(try await first.value.status == 200)
            // The place was given back.
            #expect(try await proxy.post("/v1/messages", ask(), headers: alice).status == 200)
        }
    }

    @Test func aStreamCarriesTheHeadersOnItsResponseHead() async throws {
        try await withLimitedProxy(#"[{"name": "alice", "key": "team-key-alice-0001", "requests_per_minute": 5}]"#) { proxy, _ in
            let response = try await proxy.post("/v1/messages", ask(stream: true), headers: ["x-api-key": "team-key-alice-0001"])
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"] == "text/event-stream")
            #expect(response.headers["anthropic-ratelimit-requests-remaining"] == "4")
        }
    }

    @Test func countersStartAgainWithEachWindowAndAChargeIsAllOrNothing() {
        let counters = LocalCounters()
        func charges(tokens: Int) -> [Charge] {
            [Charge(kind: .requests, limit: 3, window: 60, amount: 1), Charge(kind: .inputTokens, limit: 100, window: 60, amount: tokens)]
        }
        func used(_ outcome: ChargeOutcome) -> (admitted: Bool, used: [Int]) {
            switch outcome {
            case .admitted(let states): (true, states.map(\.used))
            case .refused(let states): (false, states.map(\.used))
            case .unavailable: (false, [])
            }
        }
        let minute = 1_800_000_000 - 1_800_000_000 % 60
        guard case .admitted(let first) = counters.charge(key: "a", charges(tokens: 40), now: minute + 1) else { Issue.record("refused"); return }
        #expect(first.map(\.used) == [1, 40])
        #expect(first.map(\.reset) == [minute + 60, minute + 60])
        #expect(used(counters.charge(key: "a", charges(tokens: 40), now: minute + 2)) == (true, [2, 80]))
        // 80 + 40 > 100: refused, and the request is not counted either.
        #expect(used(counters.charge(key: "a", charges(tokens: 40), now: minute + 3)) == (false, [2, 80]))
        #expect(used(counters.charge(key: "a", charges(tokens: 20), now: minute + 4)) == (true, [3, 100]))
        // Spent: even a request adding nothing is refused.
        #expect(used(counters.charge(key: "a", charges(tokens: 0), now: minute + 59)) == (false, [3, 100]))
        // Another key has counters of its own.
        #expect(used(counters.charge(key: "b", charges(tokens: 40), now: minute + 59)) == (true, [1, 40]))
        // The next minute starts from nothing.
        #expect(used(counters.charge(key: "a", charges(tokens: 40), now: minute + 60)) == (true, [1, 40]))
        // Giving back never goes below zero.
        counters.adjust(key: "a", [(.inputTokens, 60, -500)], now: minute + 61)
        #expect(used(counters.charge(key: "a", charges(tokens: 40), now: minute + 62)) == (true, [2, 40]))
    }

    @Test func resetTimesAreRFC3339InUTC() {
        #expect(UTCTime.rfc3339(0) == "1970-01-01T00:00:00Z")
        #expect(UTCTime.rfc3339(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(UTCTime.rfc3339(1_798_761_599) == "2026-12-31T23:59:59Z")
        #expect(UTCTime.rfc3339(4_102_444_800) == "2100-01-01T00:00:00Z")
    }
}
