import JSON
import TestSupport
import Testing

@testable import Translation

private func context(tools: [String] = [], stops: [String] = [], rules: ToolNameMapping.Rules = .init()) -> RequestContext {
    RequestContext(
        requestedModel: "claude-sonnet-4-5", upstreamModel: "up", stream: false, thinkingRequested: false,
        tools: tools.map { (name: $0, inputSchema: ["type": "object"]) },
        toolNames: ToolNameMapping(declared: tools, rules: rules, model: "up"),
        request: ["model": "m", "max_tokens": 1, "messages": [["role": "user", "content": "Hello there"]]], stopSequences: stops
    )
}

private func translate(_ response: String, context: RequestContext = context()) throws -> JSONValue {
    ResponseTranslator.translate(try JSONValue(parsing: response), context: context, messageID: "msg_fixed")
}

private func choice(_ message: String, finish: String = "stop", extra: String = "") -> String {
    #"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":\#(message),"finish_reason":"\#(finish)"\#(extra)}],"usage":{"prompt_tokens":100,"completion_tokens":7,"prompt_tokens_details":{"cached_tokens":60}}}"#
}

@Suite struct ResponseTranslatorTests {
    @Test func textMessageWithUsage() throws {
        let message = try translate(choice(#"{"role":"assistant","content":"Hello"}"#))
        #expect(
            message == [
                "id": "msg_fixed", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                "content": [["type": "text", "text": "Hello"]],
                "stop_reason": "end_turn", "stop_sequence": nil,
                "usage": ["input_tokens": 40, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 60, "output_tokens": 7],
            ])
    }

    @Test(arguments: [
        (#"{"role":"assistant","reasoning_content":"hmm","content":"A"}"#, "hmm", "A"),
        (#"{"role":"assistant","reasoning":"hmm","content":"A"}"#, "hmm", "A"),
        (#"{"role":"assistant","content":"<think>hmm</think>\n\nA"}"#, "hmm", "A"),
        (#"{"role":"assistant","content":"hmm</think>A"}"#, "hmm", "A"),
    ])
    func thinkingComesFirst(message: String, thinking: String, text: String) throws {
        let content = try translate(choice(message))["content"]
        #expect(content?[0]?["type"]?.stringValue == "thinking")
        #expect(content?[0]?["thinking"]?.stringValue == thinking)
        #expect(content?[0]?["signature"]?.stringValue?.isEmpty == false)
        #expect(content?[1] == ["type": "text", "text": JSONValue(text)])
    }

    @Test func toolCallsBecomeToolUseWithLenientArgumentsAndDeclaredNames() throws {
        let message = try translate(
            choice(
                #"{"role":"assistant","content":"Let me look.","tool_calls":[{"id":"c1","type":"function","function":{"name":"read_file","arguments":"```json\n{\"path\": \"/a\",}\n```"}},{"id":"c2","type":"function","function":{"name":"bash","arguments":"not json at all"}}]}"#,
                finish: "tool_calls"),
            context: context(tools: ["Read", "Bash"], rules: .init(global: ["Read": "read_file"])))
        #expect(
            message["content"] == [
                ["type": "text", "text": "Let me look."],
                ["type": "tool_use", "id": "c1", "name": "Read", "input": ["path": "/a"]],
                ["type": "tool_use", "id": "c2", "name": "Bash", "input": [:]],
            ])
        #expect(message["stop_reason"]?.stringValue == "tool_use")
    }

    @Test func aToolCallMakesTheStopReasonToolUseWhateverTheFinishReason() throws {
        let message = try translate(
            choice(#"{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"Bash","arguments":"{}"}}]}"#, finish: "stop"), context: context(tools: ["Bash"]))
        #expect(message["stop_reason"]?.stringValue == "tool_use")
    }

    @Test(arguments: [("length", "max_tokens"), ("content_filter", "refusal"), ("stop", "end_turn")])
    func finishReasons(finish: String, stop: String) throws {
        #expect(try translate(choice(#"{"role":"assistant","content":"x"}"#, finish: finish))["stop_reason"]?.stringValue == stop)
    }

    @Test func aMatchedStopSequenceIsReported() throws {
        let message = try translate(choice(#"{"role":"assistant","content":"x"}"#, extra: #","stop_reason":"END""#), context: context(stops: ["END"]))
        #expect(message["stop_reason"]?.stringValue == "stop_sequence")
        #expect(message["stop_sequence"]?.stringValue == "END")
    }

    @Test func textToolCallsAreParsedOnlyWhenToolsWereDeclared() throws {
        struct FakeParser: StreamingToolCallInterceptor {
            mutating func feed(_ text: String) -> [InterceptedText] {
                text.hasPrefix("CALL") ? [.text("Sure. "), .toolCall(name: "bash", argumentsJSON: #"{"cmd":"ls"}"#)] : [.text(text)]
            }
            mutating func finish() -> [InterceptedText] { [] }
        }
        let body = try JSONValue(parsing: choice(#"{"role":"assistant","content":"CALL bash"}"#))
        let withTools = ResponseTranslator.translate(body, context: context(tools: ["Bash"]), messageID: "m", textToolCalls: FakeParser())
        #expect(withTools["content"] == [["type": "text", "text": "Sure. "], ["type": "tool_use", "id": "toolu_m_t0", "name": "Bash", "input": ["cmd": "ls"]]])
        #expect(withTools["stop_reason"]?.stringValue == "tool_use")
        let withoutTools = ResponseTranslator.translate(body, context: context(), messageID: "m", textToolCalls: FakeParser())
        #expect(withoutTools["content"] == [["type": "text", "text": "CALL bash"]])
    }

    @Test func streamedEventsAccumulateToTheNonStreamingMessage() throws {
        // The same completion, streamed and whole, must give the same message.
        let whole = try translate(
            choice(
                #"{"role":"assistant","reasoning_content":"plan","content":"Done.","tool_calls":[{"id":"c1","type":"function","function":{"name":"Bash","arguments":"{\"cmd\":\"ls\"}"}}]}"#,
                finish: "tool_calls"), context: context(tools: ["Bash"]))
        var translator = StreamTranslator(context: .init(messageID: "msg_fixed", model: "claude-sonnet-4-5", estimatedInputTokens: 10))
        var events = translator.start()
        for chunk in [
            #"{"choices":[{"index":0,"delta":{"reasoning_content":"pl"}}]}"#,
            #"{"choices":[{"index":0,"delta":{"reasoning_content":"an"}}]}"#,
            #"{"choices":[{"index":0,"delta":{"content":"Done."}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"Bash","arguments":"{\"cmd\""}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":\"ls\"}"}}]},"finish_reason":"tool_calls"}]}"#,
            #"{"choices":[],"usage":{"prompt_tokens":100,"completion_tokens":7,"prompt_tokens_details":{"cached_tokens":60}}}"#,
        ] {
            events += translator.consume(try JSONValue(parsing: chunk))
        }
        events += translator.finish()
        let checker = AnthropicStreamChecker(events)
        #expect(checker.problems == [])
        let streamed = checker.finalMessage
        for key in ["id", "type", "role", "model", "content", "stop_reason", "stop_sequence"] {
            #expect(streamed[key] == whole[key], "\(key)")
        }
        for key in ["input_tokens", "output_tokens", "cache_read_input_tokens"] {
            #expect(streamed["usage"]?[key] == whole["usage"]?[key], "usage.\(key)")
        }
    }
}
