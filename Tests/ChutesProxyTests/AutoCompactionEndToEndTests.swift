import HTTP1
import JSON
import TestSupport
import Testing
import Translation

@testable import ChutesProxy

/// A model whose window the test conversation overflows by more than 10%, so that it is
/// "prompt is too long" even with nothing left for the answer.
private let smallModel: JSONValue = ["object": "list", "data": [["id": "small", "object": "model", "context_length": 4000, "max_model_len": 4000]]]

private func longConversation() -> JSONValue {
    var body = agentConversation(turns: 6, tool: "read", repeats: 300).objectValue!
    body["model"] = "small"
    body["max_tokens"] = 512
    return .object(body)
}

private func script(completions: Counter) -> ScriptedUpstream.Script {
    { request, _ in
        guard request.head.target.hasSuffix("/chat/completions") else { return ScriptedUpstream.json(smallModel) }
        if completions.increment() == 1, (try? JSONValue(parsing: request.body))?.jsonText.contains("<summary></summary>") == true {
            return ScriptedUpstream.completion(["role": "assistant", "content": "<summary>Read six files.</summary>"])
        }
        return ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
    }
}

@Suite struct AutoCompactionEndToEndTests {
    @Test func offAnswersPromptIsTooLongAsBefore() async throws {
        try await withScriptedUpstream(script(completions: Counter())) { upstream in
            try await withRunningProxy(upstream: upstream) { proxy in
                let response = try await proxy.post("/v1/messages", longConversation())
                #expect(response.status == 400)
                #expect(try JSONValue(parsing: response.body)["error"]?["message"]?.stringValue?.hasPrefix("prompt is too long") == true)
                #expect(response.headers["X-Proxy-Context-Tokens-Before"] == nil)
            }
        }
    }

    @Test func clearToolUsesClearsOldResultsAndSaysSoInHeaders() async throws {
        try await withScriptedUpstream(script(completions: Counter())) { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_COMPACT": "clear_tool_uses"]) { proxy in
                let response = try await proxy.post("/v1/messages", longConversation())
                #expect(response.status == 200)
                let before = try #require(response.headers["X-Proxy-Context-Tokens-Before"].flatMap { Int($0) })
                let after = try #require(response.headers["X-Proxy-Context-Tokens-After"].flatMap { Int($0) })
                #expect(before == TokenEstimator.estimate(request: longConversation()))
                #expect(after < 4000 && after < before)
                #expect(response.headers["X-Proxy-Context-Removed-Messages"] == "0")
                let sent = try #require(upstream.completionRequests.first?.body?["messages"]?.arrayValue)
                #expect(sent.filter { $0["content"]?.stringValue == ContextEditor.clearedToolResult }.count >= 3)
                // No message removed: each tool result is one tool message, each prompt one user message.
                #expect(sent.count == longConversation()["messages"]?.arrayValue?.count)
            }
        }
    }

    @Test func summarizeReplacesTheHistoryBeforeTheLastPrompt() async throws {
        var body = longConversation().objectValue!
        // Tool results alone cannot make this fit (a long prompt besides), but what precedes
        // the last prompt, cleared of tool results, fits the window for the summary request.
        var messages = body["messages"]!.arrayValue!
        messages.insert(["role": "user", "content": JSONValue(String(repeating: "context words ", count: 1500))], at: 0)
        messages.insert(["role": "assistant", "content": "noted"], at: 1)
        body["messages"] = .array(messages)
        let request = JSONValue.object(body)
        let completions = Counter()
        try await withScriptedUpstream(script(completions: completions)) { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_COMPACT": "summarize"]) { proxy in
                let response = try await proxy.post("/v1/messages", request)
                #expect(response.status == 200)
                #expect(try JSONValue(parsing: response.body)["content"] == [["type": "text", "text": "ok"]])  // no compaction block: not asked for
                #expect(response.headers["X-Proxy-Context-Removed-Messages"] == String(messages.count - 1))
                let sent = upstream.completionRequests.compactMap(\.body)
                try #require(sent.count == 2)
                // The summary and the last prompt ("next"), joined in one user message.
                #expect(sent[1]["messages"]?.arrayValue?.count == 1)
                #expect(sent[1]["messages"]?[0]?["content"]?.jsonText.contains("Read six files.") == true)
                #expect(sent[1]["messages"]?[0]?["content"]?.jsonText.contains("next") == true)
            }
        }
    }
}
