import HTTP1
import JSON
import Locking
import Logging
import TestSupport
import Testing

@testable import ChutesProxy

/// The samples of a Prometheus text exposition: `name{labels}` -> value.
private func metricSamples(_ proxy: RunningProxy) async throws -> [String: Double] {
    let response = try await proxy.send("GET", "/metrics")
    var result: [String: Double] = [:]
    for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        result[String(line[..<space])] = value
    }
    return result
}

private let hello: JSONValue = ["model": "claude-sonnet", "max_tokens": 10, "messages": [["role": "user", "content": "Hi"]]]

/// The upstream connection pool seen from a client: `UPSTREAM_MAX_CONNECTIONS`,
/// `UPSTREAM_POOL_TIMEOUT`, and no hidden cap by default.
@Suite(.serialized) struct UpstreamPoolLimitTests {
    /// Issue 22, item 6: the model-list fetch goes through the upstream pool like any request:
    /// with one connection allowed, the fetch and the completion after it share it (a fetch
    /// of its own would open a second connection, past the limit).
    @Test func theModelListFetchUsesThePoolLikeAnyRequest() async throws {
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
            return ScriptedUpstream.completion(["role": "assistant", "content": "Hello"])
        } run: { upstream in
            let environment = ["UPSTREAM_MAX_CONNECTIONS": "1", "REACTOR_THREADS": "1", "AUTO_FIX_MODEL_CASE": "1", "MODEL_MAP": #"{"claude-*":"deepseek-ai/DeepSeek-V3"}"#]
            try await withRunningProxy(upstream: upstream, environment: environment) { proxy in
                #expect(try await proxy.post("/v1/messages", hello).status == 200)
                #expect(upstream.received.map(\.path) == ["/v1/models", "/v1/chat/completions"])
                let samples = try await metricSamples(proxy)
                #expect(samples["chutes_proxy_upstream_connections"] == 1)
                #expect(samples["chutes_proxy_upstream_pool_wait_seconds_count"] ?? 0 == 0)
            }
        }
    }

    @Test func aRequestOverTheLimitWaitsThenSucceedsAndItsWaitIsMeasured() async throws {
        let release = Signal()
        let completions = Counter()
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
            // The first two hold their connections until the test lets them go.
            if completions.increment() <= 2 { await release.wait() }
            return ScriptedUpstream.completion(["role": "assistant", "content": "Hello"])
        } run: { upstream in
            let captured = CapturedLog()
            let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .json, level: .info, sink: captured) }
            let environment = ["UPSTREAM_MAX_CONNECTIONS": "2", "REACTOR_THREADS": "1", "MODEL_MAP": #"{"claude-*":"deepseek-ai/DeepSeek-V3"}"#]
            try await withRunningProxy(upstream: upstream, environment: environment, logger: logger) { proxy in
                defer { release.fire() }
                try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                    for _ in 0..<3 { group.addTask { try await proxy.post("/v1/messages", hello).status } }
                    // Two requests hold both connections; the third queues for one.
                    var waiting: Double?
                    let queued = await poll {
                        waiting = try? await metricSamples(proxy)["chutes_proxy_upstream_pool_waiters"]
                        return waiting == 1 && completions.value == 2
                    }
                    #expect(queued, "waiters \(String(describing: waiting)), completions at the upstream \(completions.value)")
                    release.fire()
                    var statuses: [HTTPStatus] = []
                    for try await status in group { statuses.append(status) }
                    #expect(statuses == [200, 200, 200])
                }
                #expect(completions.value == 3)
                let samples = try await metricSamples(proxy)
                #expect(samples["chutes_proxy_upstream_pool_waiters"] == 0)
                #expect(samples["chutes_proxy_upstream_pool_wait_seconds_count"] == 1)
                #expect((samples["chutes_proxy_upstream_pool_wait_seconds_sum"] ?? 0) > 0)
                let waits = captured.accessLines.filter { $0["path"] == "/v1/messages" }.map { $0["pool_wait_ms"]?.doubleValue }
                #expect(waits.count == 3)
                #expect(waits.compactMap { $0 }.count == 1, "only the request that queued says so: \(waits)")
                #expect(waits.compactMap { $0 }.allSatisfy { $0 > 0 })
            }
        }
    }

    @Test func aRequestThatFindsNoConnectionInThePoolTimeoutGets529WithRetryAfter() async throws {
        let release = Signal()
        let completions = Counter()
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
            if completions.increment() == 1 { await release.wait() }
            return ScriptedUpstream.completion(["role": "assistant", "content": "Hello"])
        } run: { upstream in
            let captured = CapturedLog()
            let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .json, level: .info, sink: captured) }
            let environment = [
                "UPSTREAM_MAX_CONNECTIONS": "1", "UPSTREAM_POOL_TIMEOUT": "0.3", "REACTOR_THREADS": "1",
                // A fallback list: the refusal is the proxy's own, another model would meet it too.
                "MODEL_MAP": #"{"claude-*":["deepseek-ai/DeepSeek-V3","Qwen/Qwen3-Coder-480B-A35B-Instruct"]}"#,
            ]
            try await withRunningProxy(upstream: upstream, environment: environment, logger: logger) { proxy in
                defer { release.fire() }
                let holding = Task { try await proxy.post("/v1/messages", hello) }
                #expect(await poll { completions.value == 1 })
                let refused = try await proxy.post("/v1/messages", hello)
                #expect(refused.status == .overloaded, "never 504: \(refused.status)")
                let body = try JSONValue(parsing: refused.body)
                #expect(body["error"]?["type"] == "overloaded_error")
                #expect(body["error"]?["message"]?.stringValue?.contains("UPSTREAM_POOL_TIMEOUT") == true)
                #expect(refused.headers["Retry-After"] == String(UpstreamErrors.poolRetryAfterSeconds))
                #expect(completions.value == 1)
                release.fire()
                #expect(try await holding.value.status == 200)
                let refusedLine = captured.accessLines.first { $0["status"] == 529 }
                #expect(refusedLine?["tries"] == nil, "tried one model only: \(String(describing: refusedLine?["tries"]))")
                let waited = refusedLine?["pool_wait_ms"]?.doubleValue
                #expect(waited.map { $0 >= 300 } == true, "the refused request's wait: \(String(describing: waited))")
            }
        }
    }

    @Test func theDefaultLetsManyConcurrentStreamsThrough() async throws {
        let concurrent = 300
        let allArrived = Signal()
        let arrivals = Counter()
        try await withScriptedUpstream { request, _ in
            if request.path.hasSuffix("/models") { return ScriptedUpstream.json(ScriptedUpstream.models) }
            // Every stream stays open until all have reached the upstream at once.
            if arrivals.increment() == concurrent { allArrived.fire() }
            await allArrived.wait()
            return ScriptedUpstream.stream([chunk(["role": "assistant", "content": "Hi"]), chunk([:], finish: "stop")])
        } run: { upstream in
            let environment = ["MODEL_MAP": #"{"claude-*":"deepseek-ai/DeepSeek-V3"}"#]
            try await withRunningProxy(upstream: upstream, environment: environment) { proxy in
                var streaming = hello.objectValue!
                streaming["stream"] = true
                let body = JSONValue.object(streaming)
                let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                    for _ in 0..<concurrent { group.addTask { try await proxy.post("/v1/messages", body).status } }
                    // The bound that keeps a capped proxy from hanging the test: the held
                    // streams are let go then, and the count says how many got through at once.
                    let together = await poll(within: .seconds(10)) { arrivals.value >= concurrent }
                    #expect(together, "only \(arrivals.value) of \(concurrent) streams reached the upstream at once")
                    allArrived.fire()
                    var statuses: [HTTPStatus] = []
                    for try await status in group { statuses.append(status) }
                    return statuses
                }
                #expect(statuses.count == concurrent)
                #expect(statuses.allSatisfy { $0 == 200 }, "refused: \(statuses.filter { $0 != 200 }.count)")
            }
        }
    }
}
