import HTTP1
import JSON
import Locking
import Testing

@testable import ChutesProxy

/// The samples of a Prometheus text exposition: `name{labels}` -> value.
private func samples(_ text: String) -> [String: Double] {
    var result: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        result[String(line[..<space])] = value
    }
    return result
}

private func scrape(_ proxy: RunningProxy) async throws -> [String: Double] {
    let response = try await proxy.send("GET", "/metrics")
    #expect(response.status == 200)
    #expect(response.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
    return samples(String(decoding: response.body, as: UTF8.self))
}

private let model = "deepseek-ai/DeepSeek-V3"

@Suite struct MetricsTests {
    @Test func requestsLatenciesTokensStreamsAndRetriesAreCounted() async throws {
        let gate = Gate()
        let streamStarted = Gate()
        try await withScriptedUpstream { request, index in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
            let body = try? JSONValue(parsing: request.body)
            switch body?["messages"]?[0]?["content"]?.stringValue {
            case "stream":
                return HTTPResponse(
                    status: 200, headers: ["Content-Type": "text/event-stream"],
                    body: .stream { writer in
                        try await writer.write(Array("data: ".utf8) + chunk(["role": "assistant", "content": "Hi"]).serialized() + Array("\n\n".utf8))
                        streamStarted.open()
                        await gate.wait()
                        try await writer.write(Array("data: ".utf8) + chunk([:], finish: "stop").serialized() + Array("\n\n".utf8))
                        let usage: JSONValue = ["id": "c", "choices": [], "usage": ["prompt_tokens": 40, "completion_tokens": 7]]
                        try await writer.write(Array("data: ".utf8) + usage.serialized() + Array("\n\ndata: [DONE]\n\n".utf8))
                    })
            case "busy":
                // 429 once, then an answer: one retry.
                let earlier = upstreamBusyCount.withLock { count in
                    count += 1; return count
                }
                return earlier == 1
                    ? ScriptedUpstream.json(["error": ["message": "slow down"]], status: 429, headers: ["Retry-After": "0"]) : ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
            case "broken":
                return ScriptedUpstream.json(["error": ["message": "boom"]], status: 500)
            default:
                return ScriptedUpstream.completion(["role": "assistant", "content": "Hello!"], usage: ["prompt_tokens": 12, "completion_tokens": 3])
            }
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["PROXY_MAX_RETRY_ON_429": "1", "AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                func ask(_ text: String, stream: Bool = false) async throws -> HTTPStatus {
                    let body: JSONValue = ["model": JSONValue(model), "max_tokens": 10, "stream": JSONValue(stream), "messages": [["role": "user", "content": JSONValue(text)]]]
                    return try await proxy.post("/v1/messages", body).status
                }
                #expect(try await ask("hi") == 200)
                #expect(try await ask("hi") == 200)
                #expect(try await ask("broken") == 500)
                #expect(try await ask("busy") == 200)

                // A stream in flight: its first event has reached the client, the upstream holds the rest.
                let streamBody: JSONValue = ["model": JSONValue(model), "max_tokens": 10, "stream": true, "messages": [["role": "user", "content": "stream"]]]
                let url = HTTPURL("http://127.0.0.1:\(proxy.proxy.port)/v1/messages")!
                let streaming = try await proxy.client.execute(
                    HTTPClientRequest(method: "POST", url: url, headers: ["x-api-key": "k", "Content-Type": "application/json"], body: streamBody.serialized()))
                var events = streaming.body.makeAsyncIterator()
                _ = try await events.next()
                await streamStarted.wait()
                let during = try await scrape(proxy)
                #expect(during["chutes_proxy_active_streams"] == 1)
                #expect((during["chutes_proxy_active_connections"] ?? 0) >= 2)  // the stream's and the scrape's
                #expect((during["chutes_proxy_upstream_connections"] ?? 0) >= 1)
                gate.open()
                while try await events.next() != nil {}

                let after = try await scrape(proxy)
                let labels = "endpoint=\"messages\",status=\"200\",model=\"\(model)\""
                #expect(after["chutes_proxy_requests_total{\(labels)}"] == 4)
                #expect(after["chutes_proxy_requests_total{endpoint=\"messages\",status=\"500\",model=\"\(model)\"}"] == 1)
                #expect(after["chutes_proxy_active_streams"] == 0)
                #expect(after["chutes_proxy_upstream_429_retries_total"] == 1)
                #expect(after["chutes_proxy_input_tokens_total{model=\"\(model)\"}"] == Double(12 + 12 + 12 + 40))
                #expect(after["chutes_proxy_output_tokens_total{model=\"\(model)\"}"] == Double(3 + 3 + 3 + 7))
                #expect(after["chutes_proxy_upstream_latency_seconds_count{model=\"\(model)\"}"] == 5)
                #expect(after["chutes_proxy_time_to_first_token_seconds_count{model=\"\(model)\"}"] == 1)
                #expect(after["chutes_proxy_request_duration_seconds_count{endpoint=\"messages\"}"] == 5)
                #expect(after["chutes_proxy_requests_total{endpoint=\"metrics\",status=\"200\",model=\"none\"}"] == 1)
            }
        }
    }

    /// Issue 21, item 3: only tests called `fallback(from:to:)` and `breaker(model:state:)`;
    /// requests that fell over and a breaker that opened left neither series.
    @Test func fallbacksAndABreakerThatOpensAreRecorded() async throws {
        try await withScriptedUpstream { request, _ in
            if request.method == "GET" { return ScriptedUpstream.json(ScriptedUpstream.models) }
            let model = (try? JSONValue(parsing: request.body))?["model"]?.stringValue
            return model == "a/one"
                ? ScriptedUpstream.json(["error": ["message": "engine failed"]], status: 500) : ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
        } run: { upstream in
            let environment = ["MODEL_MAP": #"{"claude-*":["a/one","b/two"]}"#, "AUTO_FIX_MODEL_CASE": "0", "BREAKER_FAILURES": "3", "BREAKER_COOLDOWN": "60"]
            try await withRunningProxy(upstream: upstream, environment: environment) { proxy in
                for _ in 0..<4 {
                    let response = try await proxy.post("/v1/messages", ["model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [["role": "user", "content": "Hi"]]])
                    #expect(response.status == 200)
                    #expect(response.headers["X-Upstream-Model"] == "b/two")
                }
                // Three tries of a/one failed over; the fourth request skipped it (open).
                #expect(upstream.completionRequests.count == 7)
                let scraped = try await scrape(proxy)
                #expect(scraped["chutes_proxy_fallbacks_total{from=\"a/one\",to=\"b/two\"}"] == 4)
                #expect(scraped["chutes_proxy_circuit_breaker_state{model=\"a/one\"}"] == 2)
            }
        }
    }

    @Test func fallbacksAndBreakersHaveARecordingAPI() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json([:])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                proxy.proxy.metrics.fallback(from: "a/one", to: "b/two")
                proxy.proxy.metrics.fallback(from: "a/one", to: "b/two")
                proxy.proxy.metrics.breaker(model: "a/one", state: .open)
                proxy.proxy.metrics.breaker(model: "b/two", state: .halfOpen)
                proxy.proxy.metrics.breaker(model: "b/two", state: .closed)
                let scraped = try await scrape(proxy)
                #expect(scraped["chutes_proxy_fallbacks_total{from=\"a/one\",to=\"b/two\"}"] == 2)
                #expect(scraped["chutes_proxy_circuit_breaker_state{model=\"a/one\"}"] == 2)
                #expect(scraped["chutes_proxy_circuit_breaker_state{model=\"b/two\"}"] == 0)
            }
        }
    }

    @Test func clientChosenModelNamesCannotGrowTheSeriesWithoutBound() async throws {
        let metrics = ProxyMetrics()
        for index in 0..<(ProxyMetrics.maxModelLabels + 10) {
            var fields = RequestRecord.Fields()
            fields.requestedModel = "model-\(index)\n\"quoted\""
            metrics.requestFinished(fields, endpoint: "messages", status: 401, duration: .milliseconds(1))
        }
        let text = String(decoding: metrics.exposition(activeConnections: 0, upstreamConnections: 0, upstreamPoolWaiters: 0), as: UTF8.self)
        let series = text.split(separator: "\n").filter { $0.hasPrefix("chutes_proxy_requests_total{") }
        #expect(series.count == ProxyMetrics.maxModelLabels + 1)
        #expect(samples(text)["chutes_proxy_requests_total{endpoint=\"messages\",status=\"401\",model=\"other\"}"] == 10)
        #expect(text.contains("model=\"model-0_\\\"quoted\\\"\""))
    }

    @Test func oneModelLabelAnsweredByTwoProvidersIsCountedUnderEach() async throws {
        // A request that failed everywhere keeps its first model as the label while the last
        // provider that answered is its provider; past `maxModelLabels` names, many providers'
        // models share `other`. Each provider's requests must still be counted as its own.
        let metrics = ProxyMetrics(providers: ["chutes", "openrouter"])
        for provider in ["chutes", "openrouter", "openrouter"] {
            var fields = RequestRecord.Fields()
            fields.upstreamModel = "a/one"
            fields.upstreamStatus = .ok
            fields.provider = provider
            fields.upstreamLatency = .milliseconds(5)
            fields.outputTokens = 7
            metrics.requestFinished(fields, endpoint: "messages", status: 200, duration: .milliseconds(6))
        }
        let scraped = samples(String(decoding: metrics.exposition(activeConnections: 0, upstreamConnections: 0, upstreamPoolWaiters: 0), as: UTF8.self))
        #expect(scraped["chutes_proxy_output_tokens_total{provider=\"chutes\",model=\"a/one\"}"] == 7)
        #expect(scraped["chutes_proxy_output_tokens_total{provider=\"openrouter\",model=\"a/one\"}"] == 14)
        #expect(scraped["chutes_proxy_upstream_latency_seconds_count{provider=\"openrouter\",model=\"a/one\"}"] == 2)
    }

    @Test func metricsCanBeSwitchedOff() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json([:])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["METRICS_ENABLED": "0"]) { proxy in
                let response = try await proxy.send("GET", "/metrics")
                #expect(response.status == 404)
                #expect(try ProxyConfiguration(environment: [:]).metricsEnabled)
            }
        }
    }
}

private let upstreamBusyCount = Mutex(0)
