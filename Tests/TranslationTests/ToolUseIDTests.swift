import JSON
import TestSupport
import Testing

@testable import Translation

private func stream(_ chunks: [String]) throws -> AnthropicStreamChecker {
    var translator = StreamTranslator(context: .init(messageID: "msg_01ids0000000000", model: "claude", estimatedInputTokens: 1))
    var events = translator.start()
    for chunk in chunks { events += translator.consume(try JSONValue(parsing: chunk)) }
    events += translator.consume(try JSONValue(parsing: #"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#))
    events += translator.finish()
    let checker = AnthropicStreamChecker(events)
    #expect(checker.problems == [])
    return checker
}

private func toolCalls(_ calls: String) -> String {
    #"{"choices":[{"index":0,"delta":{"role":"assistant","content":"","tool_calls":\#(calls)},"finish_reason":null}]}"#
}

private func ids(_ content: [JSONObject]) -> [String] { content.compactMap { $0["id"]?.stringValue } }

/// Tool-call ids the upstream left out, left empty or gave twice get unique ones (issue 25).
@Suite struct ToolUseIDTests {
    /// Ollama's OpenAI endpoint sent each call whole in its own chunk without `index`
    /// (ollama/ollama#7881; the chunk shape is its `/v1/chat/completions` one): both were read
    /// as position 0, one call, the second's arguments appended to the first's.
    @Test func callsWithoutAnIndexInTheirOwnChunksStayApart() throws {
        let checker = try stream([
            toolCalls(#"[{"id":"call_wteop8bt","type":"function","function":{"name":"run_command","arguments":"{\"command\":\"ls\"}"}}]"#),
            toolCalls(#"[{"id":"call_rk2xye1l","type":"function","function":{"name":"run_command","arguments":"{\"command\":\"ls -l\"}"}}]"#),
        ])
        #expect(ids(checker.content) == ["call_wteop8bt", "call_rk2xye1l"])
        #expect(checker.content.map { $0["input"] } == [["command": "ls"], ["command": "ls -l"]])
    }

    @Test func fragmentsWithoutAnIndexOrIdContinueTheirCall() throws {
        let checker = try stream([
            toolCalls(#"[{"id":"call_1","type":"function","function":{"name":"Read","arguments":"{\"path\":"}}]"#),
            toolCalls(#"[{"function":{"arguments":"\"/a\"}"}}]"#),
            toolCalls(#"[{"id":"call_2","type":"function","function":{"name":"Read","arguments":"{\"path\":\"/b\"}"}}]"#),
        ])
        #expect(ids(checker.content) == ["call_1", "call_2"])
        #expect(checker.content.map { $0["input"] } == [["path": "/a"], ["path": "/b"]])
    }

    /// Servers that send `index` (and the id) on a call's first delta only: the rest continue it.
    @Test func fragmentsWithoutAnIndexAfterAnIndexedStartContinueTheCall() throws {
        let checker = try stream([
            toolCalls(#"[{"index":0,"id":"call_1","type":"function","function":{"name":"Read","arguments":"{\"path\":"}}]"#),
            toolCalls(#"[{"function":{"arguments":"\"/a\"}"}}]"#),
            toolCalls(#"[{"index":1,"id":"call_2","type":"function","function":{"name":"Read","arguments":"{\"path\":\"/b\"}"}}]"#),
        ])
        #expect(ids(checker.content) == ["call_1", "call_2"])
        #expect(checker.content.map { $0["input"] } == [["path": "/a"], ["path": "/b"]])
    }

    /// An index-less call after one at `Int.max` (a hostile upstream) must not trap.
    @Test func anIndexlessCallAfterTheLargestIndexDoesNotTrap() throws {
        let checker = try stream([
            toolCalls(#"[{"index":9223372036854775807,"id":"call_1","type":"function","function":{"name":"A","arguments":"{}"}}]"#),
            toolCalls(#"[{"id":"call_2","type":"function","function":{"name":"B","arguments":"{}"}}]"#),
        ])
        #expect(Set(ids(checker.content)).count == checker.content.count)
    }

    @Test func missingEmptyAndRepeatedStreamedIdsBecomeUnique() throws {
        let checker = try stream([
            toolCalls(#"[{"index":0,"type":"function","function":{"name":"A","arguments":"{}"}},{"index":1,"id":"","type":"function","function":{"name":"B","arguments":"{}"}}]"#),
            toolCalls(#"[{"index":2,"id":"call_0","type":"function","function":{"name":"C","arguments":"{}"}},{"index":3,"id":"call_0","type":"function","function":{"name":"D","arguments":"{}"}}]"#),
        ])
        let given = ids(checker.content)
        #expect(checker.content.map { $0["name"]?.stringValue } == ["A", "B", "C", "D"])
        #expect(given.count == 4 && Set(given).count == 4)
        #expect(given.allSatisfy { !$0.isEmpty })
        #expect(given[2] == "call_0")
        #expect(given[0].hasPrefix("toolu_") && given[1].hasPrefix("toolu_") && given[3].hasPrefix("toolu_"))
    }

    @Test func missingEmptyAndRepeatedIdsOfAWholeAnswerBecomeUnique() throws {
        let body = try JSONValue(
            parsing: #"""
                {"choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,"tool_calls":[
                  {"type":"function","function":{"name":"A","arguments":"{}"}},
                  {"id":"","type":"function","function":{"name":"B","arguments":"{}"}},
                  {"id":"call_0","type":"function","function":{"name":"C","arguments":"{}"}},
                  {"id":"call_0","type":"function","function":{"name":"D","arguments":"{}"}}]}}]}
                """#)
        let context = try RequestTranslator.translate(JSONValue(parsing: #"{"model":"m","max_tokens":10,"messages":[]}"#), options: .init()).context
        let answer = ResponseTranslator.translate(body, context: context, messageID: "msg_01ids0000000000")
        let given = (answer["content"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        #expect(given.count == 4 && Set(given).count == 4)
        #expect(given.allSatisfy { !$0.isEmpty })
        #expect(given[2] == "call_0")
    }

    @Test func madeUpIdsDoNotCollideWithTheUpstreamsOwn() {
        var ids = ToolUseIDs(messageID: "msg_0123456789abcdef")
        #expect(ids.id(upstream: "toolu_456789abcdef_1", tag: "0") == "toolu_456789abcdef_1")
        #expect(ids.id(upstream: nil, tag: "1") == "toolu_456789abcdef_1_2")
        #expect(ids.id(upstream: nil, tag: "1") == "toolu_456789abcdef_1_3")
    }

    /// In the history a call and its result carry the same id upstream, also when an earlier
    /// answer (from a server that numbers its calls per answer) used the same id.
    @Test func historyKeepsEachCallWithItsResult() throws {
        let request = #"""
            {"model":"m","max_tokens":10,"messages":[
              {"role":"user","content":"go"},
              {"role":"assistant","content":[{"type":"tool_use","id":"call_0","name":"Read","input":{"path":"/a"}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_0","content":"A"}]},
              {"role":"assistant","content":[{"type":"tool_use","id":"toolu_01ids_1","name":"Read","input":{"path":"/b"}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01ids_1","content":"B"}]}]}
            """#
        let messages = try #require(try RequestTranslator.translate(JSONValue(parsing: request), options: .init()).upstream["messages"]?.arrayValue)
        #expect(messages[1]["tool_calls"]?[0]?["id"] == "call_0" && messages[2]["tool_call_id"] == "call_0")
        #expect(messages[3]["tool_calls"]?[0]?["id"] == "toolu_01ids_1" && messages[4]["tool_call_id"] == "toolu_01ids_1")
    }
}
