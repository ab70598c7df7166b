import JSON
import TestSupport
import Testing
import Translation

/// Runs chunks (as JSON text) through a translator and checks the result's grammar.
private func translate(_ chunks: [String], context: StreamTranslator.Context = .init(messageID: "msg_test", model: "claude-sonnet-4-5", estimatedInputTokens: 42)) throws -> (
    events: [AnthropicStreamEvent], checker: AnthropicStreamChecker
) {
    var translator = StreamTranslator(context: context)
    var events = translator.start()
    for chunk in chunks { events += translator.consume(try JSONValue(parsing: chunk)) }
    events += translator.finish()
    let checker = AnthropicStreamChecker(events)
    #expect(checker.problems == [])
    return (events, checker)
}

private func delta(_ delta: String, finish: String? = nil) -> String {
    #"{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":\#(delta),"finish_reason":\#(finish.map { "\"\($0)\"" } ?? "null")}]}"#
}

private func contentTypes(_ checker: AnthropicStreamChecker) -> [String] {
    checker.content.map { $0["type"]?.stringValue ?? "?" }
}

@Suite struct StreamTranslatorTests {
    @Test func textStreamsIntoOneTextBlock() throws {
        let (events, checker) = try translate([
            delta(#"{"role":"assistant","content":""}"#),
            delta(#"{"content":"Hel"}"#),
            delta(#"{"content":"lo"}"#),
            delta("{}", finish: "stop"),
            #"{"choices":[],"usage":{"prompt_tokens":50,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":20}}}"#,
        ])
        #expect(events.map(\.type) == ["message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"])
        let message = checker.finalMessage
        #expect(message["id"]?.stringValue == "msg_test")
        #expect(message["model"]?.stringValue == "claude-sonnet-4-5")
        #expect(message["content"] == [["type": "text", "text": "Hello"]])
        #expect(message["stop_reason"]?.stringValue == "end_turn")
        #expect(message["usage"]?["output_tokens"]?.intValue == 2)
        #expect(message["usage"]?["input_tokens"]?.intValue == 30)
        #expect(message["usage"]?["cache_read_input_tokens"]?.intValue == 20)
        #expect(events[0].payload["message"]?["usage"]?["input_tokens"]?.intValue == 42)
    }

    @Test func reasoningThenTextMakesAThinkingBlockWithASignature() throws {
        let (_, checker) = try translate([
            delta(#"{"reasoning_content":"Let me "}"#),
            delta(#"{"reasoning_content":"think."}"#),
            delta(#"{"reasoning":"More."}"#),
            delta(#"{"content":"Answer"}"#, finish: "stop"),
        ])
        #expect(contentTypes(checker) == ["thinking", "text"])
        #expect(checker.content[0]["thinking"]?.stringValue == "Let me think.More.")
        #expect(checker.content[0]["signature"]?.stringValue?.isEmpty == false)
        #expect(checker.content[1]["text"]?.stringValue == "Answer")
    }

    @Test func thinkTagsSplitAnywhereBecomeAThinkingBlock() throws {
        let output = "<think>plan it</think>\nThe answer"
        for way in everyScalarSplit(of: output) {
            let chunks = way.pieces.map { delta(JSONValue.object(["content": JSONValue($0)]).jsonText) }
            let (_, checker) = try translate(chunks)
            #expect(contentTypes(checker) == ["thinking", "text"], "\(way.label)")
            #expect(checker.content.first?["thinking"]?.stringValue == "plan it", "\(way.label)")
            #expect(checker.content.last?["text"]?.stringValue == "The answer", "\(way.label)")
        }
    }

    @Test func oneToolCallStreamsItsArguments() throws {
        let (events, checker) = try translate([
            delta(#"{"content":"Checking."}"#),
            delta(#"{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"Read","arguments":""}}]}"#),
            delta(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"path\":"}}]}"#),
            delta(#"{"tool_calls":[{"index":0,"function":{"arguments":"\"/tmp/a\"}"}}]}"#),
            delta("{}", finish: "tool_calls"),
        ])
        #expect(contentTypes(checker) == ["text", "tool_use"])
        #expect(checker.content[1]["id"]?.stringValue == "call_1")
        #expect(checker.content[1]["name"]?.stringValue == "Read")
        #expect(checker.content[1]["input"] == ["path": "/tmp/a"])
        #expect(checker.finalMessage["stop_reason"]?.stringValue == "tool_use")
        // Arguments stream live, not only at the end.
        #expect(events.filter { $0.payload["delta"]?["type"]?.stringValue == "input_json_delta" }.count == 2)
    }

    @Test func interleavedParallelCallsBecomeConsecutiveBlocks() throws {
        let (_, checker) = try translate([
            delta(#"{"tool_calls":[{"index":0,"id":"a","function":{"name":"Read","arguments":"{\"pa"}},{"index":1,"id":"b","function":{"name":"Grep","arguments":"{\"pat"}}]}"#),
            delta(#"{"tool_calls":[{"index":1,"function":{"arguments":"tern\":\"x\"}"}}]}"#),
            delta(#"{"tool_calls":[{"index":0,"function":{"arguments":"th\":\"/y\"}"}}]}"#),
            delta("{}", finish: "tool_calls"),
        ])
        #expect(contentTypes(checker) == ["tool_use", "tool_use"])
        #expect(checker.content[0]["id"]?.stringValue == "a")
        #expect(checker.content[0]["input"] == ["path": "/y"])
        #expect(checker.content[1]["id"]?.stringValue == "b")
        #expect(checker.content[1]["input"] == ["pattern": "x"])
    }

    @Test func argumentsBeforeTheNameAreKept() throws {
        let (_, checker) = try translate([
            delta(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"q\":"}}]}"#),
            delta(#"{"tool_calls":[{"index":0,"id":"c","function":{"name":"Search","arguments":"1}"}}]}"#),
            delta("{}", finish: "tool_calls"),
        ])
        #expect(checker.content.count == 1)
        #expect(checker.content[0]["name"]?.stringValue == "Search")
        #expect(checker.content[0]["input"] == ["q": 1])
    }

    /// Found by the stream-translator fuzz target: arguments cut short (the model ran out of
    /// tokens) or gone wrong left the client a tool input that did not parse.
    @Test(arguments: [
        (#"{\"path\":\"/tmp/a"#, #"{"path":"/tmp/a"}"#), (#"{"#, "{}"), (#"{\"a\":[1,{\"b\":tr"#, #"{"a":[1,{}]}"#),
        (#"{\"a\":1}}{\"b\":2}"#, #"{"a":1}"#), ("oops", "{}"),
    ])
    func argumentsCutShortOrInvalidStillGiveAnObject(arguments: String, input: String) throws {
        for held in [false, true] {
            // A first call at index 1 makes the call at index 0 a held one, sent whole at the end.
            let first = held ? [delta(#"{"tool_calls":[{"index":1,"id":"f","function":{"name":"First","arguments":"{}"}}]}"#)] : []
            let (_, checker) = try translate(
                first + [
                    delta(#"{"tool_calls":[{"index":0,"id":"c","function":{"name":"Read","arguments":"\#(arguments)"}}]}"#),
                    delta("{}", finish: "length"),
                ])
            #expect(checker.content.last?["input"] == (try JSONValue(parsing: input)), "held \(held)")
        }
    }

    /// Found by the stream-translator fuzz target: once a live call's arguments were all sent,
    /// later fragments went out unchecked, so a second object (`{}{}`) reached the client.
    @Test func fragmentsAfterACompleteObjectAreNotSent() throws {
        let (_, checker) = try translate([
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"name":"Read","arguments":"{}"},"index":"x","id":"call_0","type":"function"}]},"finish_reason":null}]}"#,
            #"{"choices":[{"index":0,"delta":{},"finish_reason":3}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"{}"}}]},"finish_reason":null}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{}}]},"finish_reason":null}]}"#,
            delta("{}", finish: "tool_calls"),
        ])
        #expect(checker.content == [["type": "tool_use", "id": "call_0", "name": "Read", "input": [:]]])
    }

    /// Live arguments split in two everywhere (they are ASCII: every byte), with what is not JSON after the object:
    /// the client's input is always the object, and arguments stream live.
    @Test(arguments: [#"{"path":"/a"}{"b":2}"#, #"{"path":"/a"}x"#, #"{"path":"/a"}}"#, #"{"path":"/a", "e":"\u00e9"}]"#])
    func liveArgumentsSplitAnywhereGiveOneObject(arguments: String) throws {
        let expected = try JSONValue(parsing: String(arguments.prefix { $0 != "}" }) + "}")
        for way in everyScalarSplit(of: arguments) {
            let chunks =
                [delta(#"{"tool_calls":[{"index":0,"id":"c","function":{"name":"Read","arguments":""}}]}"#)]
                + way.pieces.map { delta(JSONValue.object(["tool_calls": [["index": 0, "function": ["arguments": JSONValue($0)]]]]).jsonText) }
                + [delta("{}", finish: "tool_calls")]
            let (_, checker) = try translate(chunks)
            #expect(checker.content.first?["input"] == expected, "\(way.label)")
        }
    }

    @Test func wholeCallInTheFinalChunkWorks() throws {
        let (_, checker) = try translate([
            delta(#"{"tool_calls":[{"index":0,"id":"c","function":{"name":"Bash","arguments":"{\"command\":\"ls\"}"}}]}"#, finish: "tool_calls")
        ])
        #expect(checker.content == [["type": "tool_use", "id": "c", "name": "Bash", "input": ["command": "ls"]]])
    }

    @Test func toolNamesAreMappedBackToTheDeclaredSpelling() throws {
        let context = StreamTranslator.Context(messageID: "msg_x", model: "m", estimatedInputTokens: 1, toolName: { $0 == "read_file" ? "Read" : $0 })
        let (_, checker) = try translate(
            [
                delta(#"{"tool_calls":[{"index":0,"id":"c","function":{"name":"read_file","arguments":"{}"}}]}"#, finish: "tool_calls")
            ], context: context)
        #expect(checker.content[0]["name"]?.stringValue == "Read")
    }

    @Test func textAfterACallComesAfterItsBlock() throws {
        let (_, checker) = try translate([
            delta(#"{"content":"Before."}"#),
            delta(#"{"tool_calls":[{"index":0,"id":"c","function":{"name":"Bash","arguments":"{}"}}]}"#),
            delta(#"{"content":"After."}"#, finish: "tool_calls"),
        ])
        #expect(contentTypes(checker) == ["text", "tool_use", "text"])
        #expect(checker.content[2]["text"]?.stringValue == "After.")
    }

    @Test func anEmptyAnswerIsStillAWellFormedMessage() throws {
        let (events, checker) = try translate([delta("{}", finish: "stop")])
        #expect(events.map(\.type) == ["message_start", "ping", "message_delta", "message_stop"])
        #expect(checker.finalMessage["stop_reason"]?.stringValue == "end_turn")
    }

    @Test func aStreamThatEndsWithoutAFinishReasonIsAnError() throws {
        for chunks in [[], [delta(#"{"content":"Half an ans"}"#)]] {
            let (events, checker) = try translate(chunks)
            #expect(checker.problems == [])
            #expect(events.last?.type == "error")
            #expect(events.last?.payload["error"]?["type"]?.stringValue == "api_error")
            #expect(!events.contains { $0.type == "message_delta" || $0.type == "message_stop" })
        }
    }

    @Test func aStreamedStopSequenceIsReported() throws {
        var context = StreamTranslator.Context(messageID: "m", model: "x", estimatedInputTokens: 0, stopSequences: ["END", "STOP"])
        for (field, matched) in [("stop_reason", "STOP"), ("matched_stop", "END")] {
            var translator = StreamTranslator(context: context)
            var events = translator.consume(try JSONValue(parsing: #"{"choices":[{"index":0,"delta":{"content":"done "}}]}"#))
            events += translator.consume(try JSONValue(parsing: #"{"choices":[{"index":0,"delta":{},"finish_reason":"stop","\#(field)":"\#(matched)"}]}"#))
            events += translator.finish()
            let delta = try #require(events.first { $0.type == "message_delta" })
            #expect(delta.payload["delta"] == ["stop_reason": "stop_sequence", "stop_sequence": JSONValue(matched)])
        }
        // A stop string the client did not ask for (an EOS token id, say) is a plain end_turn.
        context.stopSequences = []
        var translator = StreamTranslator(context: context)
        var events = translator.consume(try JSONValue(parsing: #"{"choices":[{"index":0,"delta":{},"finish_reason":"stop","stop_reason":"END"}]}"#))
        events += translator.finish()
        #expect(events.first { $0.type == "message_delta" }?.payload["delta"]?["stop_reason"]?.stringValue == "end_turn")
    }

    @Test(arguments: [("length", "max_tokens"), ("content_filter", "refusal"), ("stop", "end_turn"), ("tool_calls", "tool_use")])
    func finishReasonsMapToStopReasons(finish: String, stop: String) throws {
        let (_, checker) = try translate([delta(#"{"content":"x"}"#, finish: finish)])
        #expect(checker.finalMessage["stop_reason"]?.stringValue == stop)
    }

    @Test func aFailureEndsTheStreamWithAnErrorEventAndNothingAfter() throws {
        var translator = StreamTranslator(context: .init(messageID: "m", model: "x", estimatedInputTokens: 0))
        var events = translator.start()
        events += translator.consume(try JSONValue(parsing: delta(#"{"content":"partial"}"#)))
        events += translator.fail(type: "api_error", message: "upstream connection reset")
        events += translator.finish()
        let checker = AnthropicStreamChecker(events)
        #expect(checker.problems == [])
        #expect(events.last?.type == "error")
        #expect(checker.errorEvent?["error"]?["type"]?.stringValue == "api_error")
        #expect(!events.contains { $0.type == "message_stop" })
    }

    @Test func eventsEncodeAsServerSentEvents() {
        var bytes: [UInt8] = []
        AnthropicStreamEvent.ping.encode(into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "event: ping\ndata: {\"type\":\"ping\"}\n\n")
    }
}

@Suite struct ThinkTagSplitterTests {
    @Test func textWithoutALeadingTagIsText() {
        var splitter = ThinkTagSplitter()
        #expect(splitter.feed("Hello <think>x</think>") == [.text("Hello <think>x</think>")])
    }

    @Test func anUnclosedThoughtIsFlushedAsThinking() {
        var splitter = ThinkTagSplitter()
        #expect(splitter.feed("<think>still thin") == [.thinking("still thin")])
        #expect(splitter.feed("king</thi") == [.thinking("king")])
        #expect(splitter.finish() == [.thinking("</thi")])
    }
}
