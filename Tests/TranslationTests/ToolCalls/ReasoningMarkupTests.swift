import JSON
import TestSupport
import Testing

@testable import Translation

/// Reasoning markup of today's families: Seed-OSS's `<seed:think>`, MiniMax-M2's inline
/// `<think>` before its calls, and Kimi's calls inside the reasoning stream, streaming (split
/// at every character) and not; and MiniMax's thinking sent back inline in history.
@Suite struct ReasoningMarkupTests {
    static let tools: [(name: String, inputSchema: JSONValue)] = [
        ("Bash", ["type": "object", "properties": ["command": ["type": "string"], "timeout": ["type": "integer"]]])
    ]

    /// The final message of a stream whose deltas carry `field` pieces of `output`.
    private func streamed(_ pieces: [String], field: String, model: String) throws -> JSONValue {
        var translator = StreamTranslator(
            context: .init(
                messageID: "msg_reasoning", model: "claude", estimatedInputTokens: 1,
                textToolCalls: makeTextToolCallParser(setting: "auto", model: model, tools: Self.tools),
                reasoningToolCalls: makeReasoningToolCallParser(setting: "auto", model: model, tools: Self.tools)
            ))
        var events = translator.start()
        for piece in pieces {
            events += translator.consume(["choices": [["index": 0, "delta": [field: JSONValue(piece)]]]])
        }
        events += translator.finish()
        let checker = AnthropicStreamChecker(events)
        #expect(checker.problems == [])
        return checker.finalMessage
    }

    private func whole(_ message: JSONValue, model: String) -> JSONValue {
        let context = RequestContext(
            requestedModel: "claude", upstreamModel: model, stream: false, thinkingRequested: true,
            tools: Self.tools, toolNames: ToolNameMapping(declared: ["Bash"], rules: .init(), model: model), request: [:], stopSequences: []
        )
        return ResponseTranslator.translate(
            ["choices": [["index": 0, "message": message, "finish_reason": "stop"]]], context: context, messageID: "msg_reasoning",
            textToolCalls: makeTextToolCallParser(setting: "auto", model: model, tools: Self.tools),
            reasoningToolCalls: makeReasoningToolCallParser(setting: "auto", model: model, tools: Self.tools)
        )
    }

    /// Content blocks without ids: (type, thinking or text or input).
    private func blocks(_ message: JSONValue) -> [String] {
        (message["content"]?.arrayValue ?? []).map { block in
            switch block["type"]?.stringValue {
            case "thinking": "thinking:" + (block["thinking"]?.stringValue ?? "")
            case "text": "text:" + (block["text"]?.stringValue ?? "")
            case "tool_use": "tool_use:" + (block["name"]?.stringValue ?? "") + (block["input"]?.jsonText ?? "")
            default: "?"
            }
        }
    }

    private func expectEverySplit(_ output: String, field: String, model: String, _ expected: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let nonStreaming: JSONValue = field == "content" ? ["content": JSONValue(output)] : [field: JSONValue(output), "content": ""]
        #expect(blocks(whole(nonStreaming, model: model)) == expected, "non-streaming", sourceLocation: sourceLocation)
        let differing = try firstSplitThatDiffers(output, expected: expected) { blocks(try streamed($0, field: field, model: model)) }
        #expect(differing == nil, "streamed", sourceLocation: sourceLocation)
    }

    @Test func seedThinkBecomesAThinkingBlock() throws {
        let output = "<seed:think>The user wants the date.</seed:think>\n<seed:tool_call>\n<function=Bash>\n<parameter=command>\ndate\n</parameter>\n</function>\n</seed:tool_call>"
        try expectEverySplit(
            output, field: "content", model: "ByteDance-Seed/Seed-OSS-36B-Instruct",
            [
                "thinking:The user wants the date.", #"tool_use:Bash{"command":"date"}"#,
            ])
    }

    @Test func miniMaxInlineThinkThenACall() throws {
        let output =
            "<think>\nList the files first.\n</think>\n\nLooking.\n<minimax:tool_call>\n<invoke name=\"Bash\">\n<parameter name=\"command\">ls -la</parameter>\n<parameter name=\"timeout\">30</parameter>\n</invoke>\n</minimax:tool_call>"
        try expectEverySplit(
            output, field: "content", model: "MiniMaxAI/MiniMax-M2.5",
            [
                "thinking:\nList the files first.\n", "text:Looking.\n", #"tool_use:Bash{"command":"ls -la","timeout":30}"#,
            ])
    }

    @Test func kimiK3ThinkChannelAndResponseWrappers() throws {
        let output =
            "<|open|>think<|sep|>Check the weather tool.<|close|>think<|sep|><|open|>response<|sep|>On it.<|close|>response<|sep|><|open|>tools<|sep|><|open|>call tool=\"Bash\" index=\"1\"<|sep|><|open|>argument key=\"timeout\" type=\"integer\"<|sep|>5<|close|>argument<|sep|><|close|>call<|sep|><|close|>tools<|sep|>"
        try expectEverySplit(
            output, field: "content", model: "moonshotai/Kimi-K3",
            [
                "thinking:Check the weather tool.", "text:On it.", #"tool_use:Bash{"timeout":5}"#,
            ])
    }

    @Test func kimiCallsInsideTheReasoningStream() throws {
        let reasoning =
            "I should check the disk.<|tool_calls_section_begin|><|tool_call_begin|>functions.Bash:0<|tool_call_argument_begin|>{\"command\": \"df -h\"}<|tool_call_end|><|tool_calls_section_end|>"
        try expectEverySplit(
            reasoning, field: "reasoning_content", model: "moonshotai/Kimi-K2-Thinking",
            [
                "thinking:I should check the disk.", #"tool_use:Bash{"command":"df -h"}"#,
            ])
    }

    @Test func otherFamiliesLeaveReasoningAlone() {
        #expect(makeReasoningToolCallParser(setting: "auto", model: "zai-org/GLM-4.7", tools: Self.tools) == nil)
        #expect(makeReasoningToolCallParser(setting: "kimi", model: "any", tools: Self.tools) != nil)
        #expect(makeReasoningToolCallParser(setting: "none", model: "moonshotai/Kimi-K2.5", tools: Self.tools) == nil)
    }

    @Test func miniMaxThinkingGoesBackInlineInHistory() throws {
        let request: JSONValue = [
            "model": "MiniMaxAI/MiniMax-M2", "max_tokens": 100,
            "messages": [
                ["role": "user", "content": "list"],
                [
                    "role": "assistant",
                    "content": [
                        ["type": "thinking", "thinking": "List them.", "signature": "s"],
                        ["type": "tool_use", "id": "t1", "name": "Bash", "input": ["command": "ls"]],
                    ],
                ],
                ["role": "user", "content": [["type": "tool_result", "tool_use_id": "t1", "content": "a.txt"]]],
            ],
        ]
        let (upstream, _) = try RequestTranslator.translate(request, options: .init())
        let assistant = upstream["messages"]?[1]
        #expect(assistant?["content"]?.stringValue == "<think>\nList them.\n</think>\n\n")
        #expect(assistant?["reasoning_content"] == nil)
        #expect(assistant?["tool_calls"]?[0]?["function"]?["name"]?.stringValue == "Bash")

        var other = request
        if case .object(var object) = other { object["model"] = "zai-org/GLM-4.7"; other = .object(object) }
        let (glm, _) = try RequestTranslator.translate(other, options: .init())
        #expect(glm["messages"]?[1]?["reasoning_content"]?.stringValue == "List them.")
    }
}
