import HTTP1
import JSON
import TestSupport
import Testing
import Translation

@testable import ChutesProxy

/// Claude Code's edit on every request, with tool-result clearing that must trigger.
private func editedConversation(stream: Bool) -> JSONValue {
    var body = agentConversation(turns: 5).objectValue!
    body["stream"] = JSONValue(stream)
    body["context_management"] = [
        "edits": [
            ["type": "clear_thinking_20251015", "keep": ["type": "thinking_turns", "value": 1]],
            ["type": "clear_tool_uses_20250919", "trigger": ["type": "tool_uses", "value": 2]],
        ]
    ]
    return .object(body)
}

@Suite struct ContextEditingEndToEndTests {
    @Test(arguments: [false, true])
    func editsApplyBeforeTranslationAndAreReported(stream: Bool) async throws {
        try await withScriptedUpstream { request, _ in
            guard request.head.target.hasSuffix("/chat/completions") else { return ScriptedUpstream.json(["object": "list", "data": []]) }
            return stream
                ? ScriptedUpstream.stream([chunk(["content": "ok"]), chunk([:], finish: "stop")])
                : ScriptedUpstream.completion(["role": "assistant", "content": "ok"])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let response = try await proxy.post("/v1/messages", editedConversation(stream: stream))
                #expect(response.status == 200)
                let management: JSONValue?
                if stream {
                    let events = try RunningProxy.events(response.body)
                    #expect(AnthropicStreamChecker(events).problems.isEmpty)
                    management = events.first { $0.type == "message_delta" }?.payload["context_management"]
                } else {
                    management = try JSONValue(parsing: response.body)["context_management"]
                }
                let applied = try #require(management?["applied_edits"]?.arrayValue)
                #expect(applied.map { $0["type"]?.stringValue } == ["clear_thinking_20251015", "clear_tool_uses_20250919"])
                #expect(applied[0]["cleared_thinking_turns"]?.intValue == 4)
                #expect(applied[1]["cleared_tool_uses"]?.intValue == 2)
                let sent = try #require(upstream.completionRequests.first?.body?["messages"]?.arrayValue)
                let toolContents = sent.filter { $0["role"]?.stringValue == "tool" }.map { $0["content"]?.stringValue }
                #expect(toolContents.prefix(2).allSatisfy { $0 == ContextEditor.clearedToolResult })
                #expect(toolContents.dropFirst(2).allSatisfy { $0 != ContextEditor.clearedToolResult })
                #expect(sent.filter { $0["reasoning_content"] != nil || $0["reasoning"] != nil }.count == 2)  // the last turn's two messages
            }
        }
    }

    @Test func countTokensCountsTheEditedRequestAndTheOriginal() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json(["object": "list", "data": []])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                let body = editedConversation(stream: false)
                let counted = try JSONValue(parsing: try await proxy.post("/v1/messages/count_tokens", body).body)
                let original = try #require(counted["context_management"]?["original_input_tokens"]?.intValue)
                let edited = try #require(counted["input_tokens"]?.intValue)
                #expect(original == TokenEstimator.estimate(request: body))
                #expect(edited == TokenEstimator.estimate(request: try ContextEditor.edit(body).body))
                #expect(edited < original)
                // Without context_management: the plain count, no context_management member.
                let plain = try JSONValue(parsing: try await proxy.post("/v1/messages/count_tokens", agentConversation(turns: 5)).body)
                #expect(plain == ["input_tokens": JSONValue(original)])
            }
        }
    }

    @Test func aMalformedEditIsA400NamingTheFieldAndNothingGoesUpstream() async throws {
        try await withScriptedUpstream { _, _ in
            ScriptedUpstream.json(["object": "list", "data": []])
        } run: { upstream in
            try await withRunningProxy(upstream: upstream, environment: ["AUTO_FIX_MODEL_CASE": "0"]) { proxy in
                var body = agentConversation(turns: 1).objectValue!
                body["context_management"] = ["edits": [["type": "clear_tool_uses_20250919", "keep": ["type": "tool_uses", "value": "three"]]]]
                for path in ["/v1/messages", "/v1/messages/count_tokens"] {
                    let response = try await proxy.post(path, .object(body))
                    #expect(response.status == 400)
                    let error = try JSONValue(parsing: response.body)["error"]
                    #expect(error?["type"] == "invalid_request_error")
                    #expect(error?["message"]?.stringValue?.hasPrefix("context_management.edits.0.keep.value:") == true)
                }
                #expect(upstream.completionRequests.isEmpty)
            }
        }
    }
}
