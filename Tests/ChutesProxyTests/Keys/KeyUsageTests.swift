import Foundation
import HTTP1
import JSON
import Locking
import Logging
import Testing

@testable import ChutesProxy

private let upstreamKey = "sk-upstream-chutes-key-9999"

private func ask(_ model: String) -> JSONValue {
    ["model": JSONValue(model), "max_tokens": 10, "messages": [["role": "user", "content": "Hi"]]]
}

@Suite struct KeyUsageTests {
    @Test func theKeysNameNeverTheKeyIsInTheAccessLineAndTheMetrics() async throws {
        let directory = try KeysDirectory()
        let path = try directory.write("keys.json", #"[{"name": "alice", "key": "team-key-alice-0001"}]"#)
        let captured = CapturedLog()
        let logger = Logger(label: "proxy") { _ in ProxyLogHandler(format: .json, level: .info, sink: captured) }
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.completion(["role": "assistant", "content": "Hello!"], usage: ["prompt_tokens": 12, "completion_tokens": 3])
        } run: { upstream in
            let environment = ["PROXY_KEYS_FILE": path, "PROXY_API_KEYS": "plain-key-0002", "CHUTES_API_KEY": upstreamKey, "AUTO_FIX_MODEL_CASE": "0"]
            try await withRunningProxy(upstream: upstream, environment: environment, logger: logger) { proxy in
                #expect(try await proxy.post("/v1/messages", ask("deepseek-ai/DeepSeek-V3"), headers: ["x-api-key": "team-key-alice-0001"]).status == 200)
                #expect(try await proxy.post("/v1/messages", ask("deepseek-ai/DeepSeek-V3"), headers: ["x-api-key": "plain-key-0002"]).status == 200)
                let lines = captured.accessLines.filter { $0["path"]?.stringValue == "/v1/messages" }
                #expect(lines.count == 2)
                #expect(lines.first?["key"]?.stringValue == "alice")
                #expect(lines.last?["key"] == nil)
                #expect(!captured.text.contains("team-key-alice-0001"))
                let metrics = String(decoding: try await proxy.send("GET", "/metrics", headers: ["x-api-key": "plain-key-0002"]).body, as: UTF8.self)
                let model = "model=\"deepseek-ai/DeepSeek-V3\""
                #expect(metrics.contains("chutes_proxy_requests_total{endpoint=\"messages\",status=\"200\",\(model),key=\"alice\"} 1"))
                #expect(metrics.contains("chutes_proxy_requests_total{endpoint=\"messages\",status=\"200\",\(model)} 1"))
                #expect(metrics.contains("chutes_proxy_output_tokens_total{\(model),key=\"alice\"} 3"))
                #expect(metrics.contains("chutes_proxy_input_tokens_total{\(model),key=\"alice\"} 12"))
            }
        }
    }

    @Test func usageByKeyAndModelIsForAdminKeysOnly() async throws {
        let directory = try KeysDirectory()
        let keys = #"""
            [{"name": "alice", "key": "team-key-alice-0001"}, {"name": "bob", "key": "team-key-bob-0002", "requests_per_minute": 100},
             {"name": "ops", "key": "team-key-ops-0003", "admin": true}]
            """#
        let path = try directory.write("keys.json", keys)
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.completion(["role": "assistant", "content": "Hello!"], usage: ["prompt_tokens": 12, "completion_tokens": 3])
        } run: { upstream in
            let environment = ["PROXY_KEYS_FILE": path, "PROXY_API_KEYS": "plain-key-0004", "CHUTES_API_KEY": upstreamKey, "AUTO_FIX_MODEL_CASE": "0"]
            try await withRunningProxy(upstream: upstream, environment: environment) { proxy in
                let alice: HTTPHeaders = ["x-api-key": "team-key-alice-0001"]
                for _ in 0..<2 { #expect(try await proxy.post("/v1/messages", ask("deepseek-ai/DeepSeek-V3"), headers: alice).status == 200) }
                #expect(try await proxy.post("/v1/messages", ask("Qwen/Qwen3-Coder-480B-A35B-Instruct"), headers: alice).status == 200)
                #expect(try await proxy.post("/v1/messages", ask("deepseek-ai/DeepSeek-V3"), headers: ["x-api-key": "team-key-bob-0002"]).status == 200)

                for key in ["team-key-alice-0001", "team-key-bob-0002", "plain-key-0004"] {
                    let refused = try await proxy.send("GET", "/v1/usage", headers: ["x-api-key": key])
                    #expect(refused.status == 403, "\(key)")
                    #expect(try JSONValue(parsing: refused.body)["error"]?["type"] == "permission_error")
                }
                #expect(try await proxy.send("GET", "/v1/usage", headers: [:]).status == 401)
                #expect(try await proxy.send("GET", "/v1/usage?window=2d", headers: ["x-api-key": "team-key-ops-0003"]).status == 400)
                #expect(try await proxy.send("GET", "/v1/usage?window=30s", headers: ["x-api-key": "team-key-ops-0003"]).status == 400)

                let response = try await proxy.send("GET", "/v1/usage?window=15m", headers: ["x-api-key": "team-key-ops-0003"])
                #expect(response.status == 200)
                let body = try JSONValue(parsing: response.body)
                #expect(body["window_seconds"] == 900)
                let rows = try #require(body["usage"]?.arrayValue)
                func row(_ key: String, _ model: String) -> JSONValue? {
                    rows.first { $0["key"]?.stringValue == key && $0["model"]?.stringValue == model }
                }
                #expect(rows.count == 3)
                #expect(row("alice", "deepseek-ai/DeepSeek-V3")?["requests"] == 2)
                #expect(row("alice", "deepseek-ai/DeepSeek-V3")?["input_tokens"] == 24)
                #expect(row("alice", "deepseek-ai/DeepSeek-V3")?["output_tokens"] == 6)
                #expect(row("alice", "Qwen/Qwen3-Coder-480B-A35B-Instruct")?["requests"] == 1)
                #expect(row("bob", "deepseek-ai/DeepSeek-V3")?["requests"] == 1)
            }
        }
    }

    @Test func theLedgerForgetsWhatFallsOutOfTheWindow() {
        let now = Mutex(1_800_000_000)
        let ledger = UsageLedger(clock: { now.withLock { $0 } })
        var fields = RequestRecord.Fields()
        fields.keyName = "alice"
        fields.requestedModel = "m"
        fields.inputTokens = 10
        ledger.record(fields)
        now.withLock { $0 += 3600 }
        ledger.record(fields)
        #expect(ledger.totals(window: 3600).map(\.requests) == [1])
        #expect(ledger.totals(window: 7200).map(\.requests) == [2])
        #expect(ledger.totals(window: 7200).map(\.inputTokens) == [20])
        // 23 h 59 min later: the first request is more than a day old, the second is not.
        now.withLock { $0 += 86_400 - 60 }
        ledger.record(fields)
        #expect(ledger.totals(window: 86_400).map(\.requests) == [2])
    }
}
