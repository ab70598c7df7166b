import AsyncIO
import HTTP1
import JSON
import TestSupport
import Testing

@testable import ChutesProxy

/// web_search and web_fetch emulated: a scripted upstream model that calls the tools, a
/// scripted SearXNG (and Brave, Tavily, Exa) on loopback, and pages to fetch.
@Suite(.serialized) struct ServerToolsTests {
    static func request(stream: Bool, tools: [JSONValue], messages: JSONValue = [["role": "user", "content": "What is new in Swift?"]]) -> JSONValue {
        ["model": "m", "max_tokens": 100, "stream": JSONValue(stream), "messages": messages, "tools": .array(tools)]
    }

    static let searchTool: JSONValue = ["type": "web_search_20250305", "name": "web_search", "max_uses": 3]

    /// The model: calls `name` with `input` until it has seen `calls` tool results, then answers.
    static func model(calling name: String, input: JSONValue, calls: Int = 1, answer: String = "Swift 6.3 is out.") -> ScriptedUpstream.Script {
        { request, _ in
            guard request.head.target.hasSuffix("/chat/completions"), let body = try? JSONValue(parsing: request.body) else {
                return ScriptedUpstream.json(["object": "list", "data": []])
            }
            let seen = body["messages"]?.arrayValue?.filter { $0["role"]?.stringValue == "tool" }.count ?? 0
            if seen < calls {
                return ScriptedUpstream.completion(
                    [
                        "role": "assistant", "content": nil,
                        "tool_calls": [["id": JSONValue("call_\(seen)"), "type": "function", "function": ["name": JSONValue(name), "arguments": JSONValue(input.jsonText)]]],
                    ],
                    finish: "tool_calls")
            }
            return ScriptedUpstream.completion(["role": "assistant", "content": JSONValue(answer)])
        }
    }

    static let searxResults: JSONValue = [
        "query": "swift news",
        "results": [
            ["url": "https://swift.org/blog/swift-6.3/", "title": "Swift 6.3 Released", "content": "Swift 6.3 released with embedded improvements.", "publishedDate": "2026-11-20T00:00:00"],
            ["url": "https://example.com/swift", "title": "Elsewhere", "content": "Another page."],
        ],
    ]

    static func searxng() throws -> ScriptedUpstream {
        try ScriptedUpstream { _, _ in ScriptedUpstream.json(searxResults) }
    }

    static func toolMessages(_ received: [ScriptedUpstream.Received]) -> [String] {
        received.flatMap { $0.body?["messages"]?.arrayValue ?? [] }.filter { $0["role"]?.stringValue == "tool" }.compactMap { $0["content"]?.stringValue }
    }

    @Test func searchRunsThroughSearXNGAndTheModelReadsTheResults() async throws {
        try await withStopping(try Self.searxng()) { searx in
            try await withScriptedUpstream(Self.model(calling: "web_search", input: ["query": "swift news"])) { upstream in
                try await withRunningProxy(upstream: upstream, environment: ["WEB_SEARCH_PROVIDER": "searxng", "WEB_SEARCH_URL": searx.baseURL]) { proxy in
                    let response = try await proxy.post("/v1/messages", Self.request(stream: false, tools: [Self.searchTool]))
                    #expect(response.status == .ok)
                    let message = try JSONValue(parsing: response.body)
                    let content = message["content"]?.arrayValue ?? []
                    #expect(content.map { $0["type"]?.stringValue } == ["server_tool_use", "web_search_tool_result", "text"])
                    try #require(content.count >= 3)
                    let use = content[0]
                    #expect(use["name"] == "web_search")
                    #expect(use["input"]?["query"] == "swift news")
                    #expect(use["id"]?.stringValue?.hasPrefix("srvtoolu_") == true)
                    #expect(content[1]["tool_use_id"] == use["id"])
                    let first = try #require(content[1]["content"]?[0])
                    #expect(first["type"] == "web_search_result")
                    #expect(first["url"] == "https://swift.org/blog/swift-6.3/")
                    #expect(first["title"] == "Swift 6.3 Released")
                    #expect(first["page_age"] == "2026-11-20T00:00:00")
                    let encrypted = try #require(first["encrypted_content"]?.stringValue)
                    #expect(!encrypted.contains("embedded improvements"))
                    #expect(content[2]["text"] == "Swift 6.3 is out.")
                    #expect(message["usage"]?["server_tool_use"]?["web_search_requests"] == 1)
                    #expect(message["stop_reason"] == "end_turn")
                    #expect(response.headers[MessagesHandler.upstreamModelHeader] == "m")

                    #expect(searx.received.count == 1)
                    #expect(searx.received.first?.path.contains("q=swift%20news") == true)
                    #expect(searx.received.first?.path.contains("format=json") == true)
                    let turns = upstream.completionRequests
                    #expect(turns.count == 2)
                    #expect(turns.first?.body?["tools"]?[0]?["function"]?["name"] == "web_search")
                    #expect(turns.first?.body?["stream"] != true)
                    // The excerpt came back out of encrypted_content into the model's tool result.
                    #expect(Self.toolMessages(turns).first?.contains("Swift 6.3 released with embedded improvements.") == true)
                }
            }
        }
    }

    @Test func searchStreamsTheBlocksAnthropicSends() async throws {
        try await withStopping(try Self.searxng()) { searx in
            try await withScriptedUpstream(Self.model(calling: "web_search", input: ["query": "swift news"])) { upstream in
                try await withRunningProxy(upstream: upstream, environment: ["WEB_SEARCH_PROVIDER": "searxng", "WEB_SEARCH_URL": searx.baseURL]) { proxy in
                    let response = try await proxy.post("/v1/messages", Self.request(stream: true, tools: [Self.searchTool]))
                    #expect(response.status == .ok)
                    let events = try RunningProxy.events(response.body)
                    let checker = AnthropicStreamChecker(events)
                    #expect(checker.problems == [])
                    let content = checker.finalMessage["content"]?.arrayValue ?? []
                    #expect(content.map { $0["type"]?.stringValue } == ["server_tool_use", "web_search_tool_result", "text"])
                    try #require(content.count >= 3)
                    #expect(content[0]["input"]?["query"] == "swift news")
                    #expect(content[1]["content"]?[0]?["url"] == "https://swift.org/blog/swift-6.3/")
                    #expect(content[2]["text"] == "Swift 6.3 is out.")
                    #expect(checker.finalMessage["usage"]?["server_tool_use"]?["web_search_requests"] == 1)
                    #expect(events.contains { $0.type == "content_block_start" && $0.payload["content_block"]?["type"] == "web_search_tool_result" })
                }
            }
        }
    }

    @Test(arguments: [false, true])
    func aResultWhoseURLTheAnswerNamesIsCited(stream: Bool) async throws {
        let answer = "Swift 6.3 is out, see https://swift.org/blog/swift-6.3/ for details."
        try await withStopping(try Self.searxng()) { searx in
            try await withScriptedUpstream(Self.model(calling: "web_search", input: ["query": "swift news"], answer: answer)) { upstream in
                try await withRunningProxy(upstream: upstream, environment: ["WEB_SEARCH_PROVIDER": "searxng", "WEB_SEARCH_URL": searx.baseURL]) { proxy in
                    let response = try await proxy.post("/v1/messages", Self.request(stream: stream, tools: [Self.searchTool]))
                    let message: JSONValue
                    if stream {
                        let checker = AnthropicStreamChecker(try RunningProxy.events(response.body))
                        #expect(checker.problems == [])
                        message = checker.finalMessage
                    } else {
                        message = try JSONValue(parsing: response.body)
                    }
                    let content = message["content"]?.arrayValue ?? []
                    try #require(content.count == 3)
                    #expect(content[2]["text"] == JSONValue(answer))
                    let citations = content[2]["citations"]?.arrayValue ?? []
                    // The swift.org result is named; the example.com one is not.
                    try #require(citations.count == 1)
                    #expect(citations[0]["type"] == "web_search_result_location")
                    #expect(citations[0]["url"] == "https://swift.org/blog/swift-6.3/")
                    #expect(citations[0]["title"] == "Swift 6.3 Released")
                    #expect(citations[0]["cited_text"] == "Swift 6.3 released with embedded improvements.")
                    #expect(citations[0]["encrypted_index"]?.stringValue?.isEmpty == false)
                }
            }
        }
    }

    @Test func withoutAProviderTheModelIsToldSearchIsUnavailable() async throws {
        try await withScriptedUpstream(Self.model(calling: "web_search", input: ["query": "swift news"])) { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                let response = try await proxy.post("/v1/messages", Self.request(stream: false, tools: [Self.searchTool]))
                let content = try JSONValue(parsing: response.body)["content"]?.arrayValue ?? []
                try #require(content.count >= 2)
                #expect(content[1]["content"]?["type"] == "web_search_tool_result_error")
                #expect(content[1]["content"]?["error_code"] == "unavailable")
                #expect(Self.toolMessages(upstream.completionRequests).first?.contains("unavailable") == true)
            }
        }
    }

    @Test func maxUsesStopsTheSearchesAndAllowedDomainsFilterTheResults() async throws {
        try await withStopping(try Self.searxng()) { searx in
            try await withScriptedUpstream(Self.model(calling: "web_search", input: ["query": "swift news"], calls: 2)) { upstream in
                try await withRunningProxy(upstream: upstream, environment: ["WEB_SEARCH_PROVIDER": "searxng", "WEB_SEARCH_URL": searx.baseURL]) { proxy in
                    let tool: JSONValue = ["type": "web_search_20260209", "name": "web_search", "max_uses": 1, "allowed_domains": ["swift.org"]]
                    let response = try await proxy.post("/v1/messages", Self.request(stream: false, tools: [tool]))
                    let message = try JSONValue(parsing: response.body)
                    let content = message["content"]?.arrayValue ?? []
                    #expect(content.map { $0["type"]?.stringValue } == ["server_tool_use", "web_search_tool_result", "server_tool_use", "web_search_tool_result", "text"])
                    try #require(content.count >= 4)
                    #expect(content[1]["content"]?.arrayValue?.compactMap { $0["url"]?.stringValue } == ["https://swift.org/blog/swift-6.3/"])
                    #expect(content[3]["content"]?["error_code"] == "max_uses_exceeded")
                    #expect(searx.received.count == 1)
                    #expect(message["usage"]?["server_tool_use"]?["web_search_requests"] == 1)
                }
            }
        }
    }

    @Test func anEarlierTurnsSearchGoesUpstreamAsAToolCallAndResult() async throws {
        let result = try #require(SearchResult(url: "https://swift.org/x", title: "X", pageAge: nil, snippet: "the excerpt the model read"))
        let history: JSONValue = [
            ["role": "user", "content": "search"],
            [
                "role": "assistant",
                "content": [
                    ["type": "text", "text": "Let me look."],
                    ["type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": ["query": "x"]],
                    ["type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [SearchResultCodec.block(result)]],
                    ["type": "text", "text": "Found it."],
                ],
            ],
            ["role": "user", "content": "thanks"],
        ]
        try await withScriptedUpstream(Self.model(calling: "web_search", input: ["query": "x"], calls: 0)) { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                let response = try await proxy.post("/v1/messages", Self.request(stream: false, tools: [Self.searchTool], messages: history))
                #expect(response.status == .ok)
                let messages = upstream.completionRequests.first?.body?["messages"]?.arrayValue ?? []
                #expect(messages.map { $0["role"]?.stringValue } == ["user", "assistant", "tool", "assistant", "user"])
                try #require(messages.count == 5)
                #expect(messages[1]["tool_calls"]?[0]?["id"] == "srvtoolu_1")
                #expect(messages[1]["tool_calls"]?[0]?["function"]?["name"] == "web_search")
                #expect(messages[2]["content"]?.stringValue?.contains("the excerpt the model read") == true)
                #expect(messages[3]["content"] == "Found it.")
            }
        }
    }

    @Test(arguments: [
        ("brave", "X-Subscription-Token", ["web": ["results": [["url": "https://swift.org/a", "title": "A", "description": "from brave", "age": "1 day ago"]]]] as JSONValue),
        ("tavily", "Authorization", ["results": [["url": "https://swift.org/a", "title": "A", "content": "from tavily"]]] as JSONValue),
        ("exa", "x-api-key", ["results": [["url": "https://swift.org/a", "title": "A", "text": "from exa"]]] as JSONValue),
    ])
    func keyedProvidersSendTheirKeyAndTheirResultsReachTheModel(provider: String, header: String, answer: JSONValue) async throws {
        let key = "search-key-\(provider)-0123456789"
        try await withStopping(try ScriptedUpstream { _, _ in ScriptedUpstream.json(answer) }) { service in
            try await withScriptedUpstream(Self.model(calling: "web_search", input: ["query": "swift"])) { upstream in
                let environment = ["WEB_SEARCH_PROVIDER": provider, "WEB_SEARCH_URL": service.baseURL, "WEB_SEARCH_API_KEY": key]
                try await withRunningProxy(upstream: upstream, environment: environment) { proxy in
                    let response = try await proxy.post("/v1/messages", Self.request(stream: false, tools: [Self.searchTool]))
                    let content = try JSONValue(parsing: response.body)["content"]?.arrayValue ?? []
                    try #require(content.count >= 2)
                    #expect(content[1]["content"]?[0]?["url"] == "https://swift.org/a")
                    #expect(service.received.first?.headers[header]?.contains(key) == true)
                    #expect(Self.toolMessages(upstream.completionRequests).first?.contains("from \(provider)") == true)
                    #expect(!response.body.contains(subsequence: Array(key.utf8)))
                }
            }
        }
    }

    @Test func aProviderAt429IsTooManyRequests() async throws {
        try await withStopping(try ScriptedUpstream { _, _ in ScriptedUpstream.json(["error": "slow down"], status: .tooManyRequests) }) { searx in
            try await withScriptedUpstream(Self.model(calling: "web_search", input: ["query": "swift"])) { upstream in
                try await withRunningProxy(upstream: upstream, environment: ["WEB_SEARCH_PROVIDER": "searxng", "WEB_SEARCH_URL": searx.baseURL]) { proxy in
                    let response = try await proxy.post("/v1/messages", Self.request(stream: false, tools: [Self.searchTool]))
                    let content = try JSONValue(parsing: response.body)["content"]?.arrayValue ?? []
                    try #require(content.count >= 2)
                    #expect(content[1]["content"]?["error_code"] == "too_many_requests")
                }
            }
        }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard !subsequence.isEmpty, count >= subsequence.count else { return false }
        return (0...(count - subsequence.count)).contains { self[$0..<($0 + subsequence.count)].elementsEqual(subsequence) }
    }
}
