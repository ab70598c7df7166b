import HTTP1
import JSON
import Logging
import TestSupport
import Testing

@testable import ChutesProxy

/// The server-tool loop's bounds: a slow provider, the loop's time limit, a client that goes
/// away, a first turn that fails; and what each call leaves in the log and the metrics.
@Suite(.serialized) struct ServerToolBoundsTests {
    /// A SearXNG that never answers; counts the searches it was asked and those abandoned.
    static func hangingSearch(asked: Counter, abandoned: Counter) throws -> ScriptedUpstream {
        try ScriptedUpstream { _, _ in
            asked.increment()
            do {
                try await Task.sleep(for: .seconds(60))
            } catch {
                abandoned.increment()
            }
            return ScriptedUpstream.json(ServerToolsTests.searxResults)
        }
    }

    @Test func aSlowProviderIsUnavailableAfterTheToolTimeout() async throws {
        let (asked, abandoned) = (Counter(), Counter())
        try await withStopping(try Self.hangingSearch(asked: asked, abandoned: abandoned)) { searx in
            try await withScriptedUpstream(ServerToolsTests.model(calling: "web_search", input: ["query": "swift"])) { upstream in
                let environment = ["WEB_SEARCH_PROVIDER": "searxng", "WEB_SEARCH_URL": searx.baseURL, "WEB_TOOLS_TIMEOUT": "0.3"]
                try await withRunningProxy(upstream: upstream, environment: environment) { proxy in
                    let started = ContinuousClock.now
                    let response = try await proxy.post("/v1/messages", ServerToolsTests.request(stream: false, tools: [ServerToolsTests.searchTool]))
                    #expect(ContinuousClock.now - started < .seconds(10))
                    let content = try JSONValue(parsing: response.body)["content"]?.arrayValue ?? []
                    try #require(content.count >= 2)
                    #expect(content[1]["content"]?["error_code"] == "unavailable")
                    #expect(asked.value == 1)
                    // The timed-out exchange was closed, not left running.
                    #expect(await eventually(within: .seconds(5)) { abandoned.value == 1 })
                }
            }
        }
    }

    @Test func pastTheLoopsTimeLimitTheAnswerSoFarEndsWithPauseTurn() async throws {
        try await withStopping(try ServerToolsTests.searxng()) { searx in
            // A model that never stops searching.
            try await withScriptedUpstream(ServerToolsTests.model(calling: "web_search", input: ["query": "swift"], calls: 1000)) { upstream in
                let environment = ["WEB_SEARCH_PROVIDER": "searxng", "WEB_SEARCH_URL": searx.baseURL, "SERVER_TOOLS_TIME_LIMIT": "0"]
                try await withRunningProxy(upstream: upstream, environment: environment) { proxy in
                    let response = try await proxy.post("/v1/messages", ServerToolsTests.request(stream: false, tools: [["type": "web_search_20250305", "name": "web_search"]]))
                    let message = try JSONValue(parsing: response.body)
                    #expect(message["stop_reason"] == "pause_turn")
                    #expect(upstream.completionRequests.count == 1)
                }
            }
        }
    }

    @Test func theLoopEndsAfterItsTurnLimitWhateverTheModelDoes() async throws {
        try await withStopping(try ServerToolsTests.searxng()) { searx in
            try await withScriptedUpstream(ServerToolsTests.model(calling: "web_search", input: ["query": "swift"], calls: 1000)) { upstream in
                try await withRunningProxy(upstream: upstream, environment: ["WEB_SEARCH_PROVIDER": "searxng", "WEB_SEARCH_URL": searx.baseURL]) { proxy in
                    let response = try await proxy.post("/v1/messages", ServerToolsTests.request(stream: false, tools: [["type": "web_search_20250305", "name": "web_search"]]))
                    let message = try JSONValue(parsing: response.body)
                    #expect(message["stop_reason"] == "pause_turn")
                    #expect(upstream.completionRequests.count == ServerToolLoop.maxRounds)
                }
            }
        }
    }

    @Test func aClientThatGoesAwayCancelsTheSearchInProgress() async throws {
        let (asked, abandoned) = (Counter(), Counter())
        try await withStopping(try Self.hangingSearch(asked: asked, abandoned: abandoned)) { searx in
            try await withScriptedUpstream(ServerToolsTests.model(calling: "web_search", input: ["query": "swift"])) { upstream in
                try await withRunningProxy(upstream: upstream, environment: ["WEB_SEARCH_PROVIDER": "searxng", "WEB_SEARCH_URL": searx.baseURL]) { proxy in
                    let body = ServerToolsTests.request(stream: true, tools: [ServerToolsTests.searchTool]).serialized()
                    let url = HTTPURL("http://127.0.0.1:\(proxy.proxy.port)/v1/messages")!
                    let response = try await proxy.client.execute(
                        HTTPClientRequest(method: .post, url: url, headers: ["x-api-key": "sk-client-key-123", "Content-Type": "application/json"], body: body))
                    var seen: [UInt8] = []
                    for try await chunk in response.body {
                        seen += chunk
                        if seen.contains(subsequence: Array("server_tool_use".utf8)) { break }
                    }
                    #expect(await eventually(within: .seconds(5)) { asked.value == 1 })
                    response.body.discard()
                    #expect(await eventually(within: .seconds(5)) { abandoned.value == 1 })
                    #expect(upstream.completionRequests.count == 1)
                }
            }
        }
    }

    @Test func aLaterTurnsMaxTokensIsFittedToTheWindowTheResultsTookUp() async throws {
        let words = String(repeating: "release notes describe compiler changes ", count: 95)
        let results: JSONValue = ["results": .array((0..<8).map { ["url": JSONValue("https://swift.org/\($0)/"), "title": "T", "content": JSONValue(words)] })]
        let model = ServerToolsTests.model(calling: "web_search", input: ["query": "swift"])
        try await withStopping(try ScriptedUpstream { _, _ in ScriptedUpstream.json(results) }) { searx in
            try await withScriptedUpstream({ request, index in
                request.head.target.hasSuffix("/models") ? ScriptedUpstream.json(ScriptedUpstream.chutesModels) : await model(request, index)
            }) { upstream in
                try await withRunningProxy(upstream: upstream, environment: ["WEB_SEARCH_PROVIDER": "searxng", "WEB_SEARCH_URL": searx.baseURL]) { proxy in
                    let request: JSONValue = [
                        "model": "small/Tiny-8K", "max_tokens": 4000, "messages": [["role": "user", "content": "What is new in Swift?"]], "tools": [ServerToolsTests.searchTool],
                    ]
                    let response = try await proxy.post("/v1/messages", request)
                    #expect(response.status == .ok)
                    let turns = upstream.completionRequests
                    try #require(turns.count == 2)
                    #expect(turns[0].body?["max_tokens"] == 4000)
                    // Thousands of tokens of results in an 8,192-token window: less room for the answer.
                    let second = try #require(turns[1].body?["max_tokens"]?.intValue)
                    #expect(second < 4000)
                }
            }
        }
    }

    @Test func aFirstTurnThatFailsIsAnErrorResponseNotAStreamedError() async throws {
        try await withScriptedUpstream({ request, _ in
            guard request.head.target.hasSuffix("/chat/completions") else { return ScriptedUpstream.json(["object": "list", "data": []]) }
            return ScriptedUpstream.json(["error": ["message": "bad request from the model server"]], status: .badRequest)
        }) { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                let response = try await proxy.post("/v1/messages", ServerToolsTests.request(stream: true, tools: [ServerToolsTests.searchTool]))
                #expect(response.status == .badRequest)
                let error = try JSONValue(parsing: response.body)
                #expect(error["type"] == "error")
                #expect(error["error"]?["message"]?.stringValue?.contains("bad request from the model server") == true)
            }
        }
    }

    @Test func eachSearchIsALogLineAndACountAndTheKeyAppearsInNeither() async throws {
        let key = "brave-secret-key-0123456789"
        let lines = LogLines()
        let logger = Logger(label: "test") { _ in RecordingLogHandler(lines: lines) }
        try await withStopping(try ScriptedUpstream { _, _ in ScriptedUpstream.json(["web": ["results": [["url": "https://swift.org/", "title": "S"]]]]) }) { brave in
            try await withScriptedUpstream(ServerToolsTests.model(calling: "web_search", input: ["query": "secret query text"])) { upstream in
                let environment = ["WEB_SEARCH_PROVIDER": "brave", "WEB_SEARCH_URL": brave.baseURL, "WEB_SEARCH_API_KEY": key]
                try await withRunningProxy(upstream: upstream, environment: environment, logger: logger) { proxy in
                    _ = try await proxy.post("/v1/messages", ServerToolsTests.request(stream: false, tools: [ServerToolsTests.searchTool]))
                    let metrics = String(decoding: try await proxy.send("GET", "/metrics").body, as: UTF8.self)
                    #expect(
                        metrics.contains(#"chutes_proxy_server_tool_calls_total{tool="web_search",outcome="ok"} 1"#)
                            || metrics.contains(#"chutes_proxy_server_tool_calls_total{outcome="ok",tool="web_search"} 1"#))
                    #expect(lines.all.contains { $0.hasPrefix("web_search brave ok ") })
                    #expect(!lines.all.contains { $0.contains(key) || $0.contains("secret query text") })
                    #expect(!metrics.contains(key))
                }
            }
        }
    }
}
