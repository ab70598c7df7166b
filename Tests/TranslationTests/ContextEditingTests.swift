import JSON
import TestSupport
import Testing

@testable import Translation

private func with(_ body: JSONValue, edits: JSONValue) -> JSONValue {
    var object = body.objectValue!
    object["context_management"] = ["edits": edits]
    return .object(object)
}

private func blocks(_ body: JSONValue, type: String) -> [JSONValue] {
    (body["messages"]?.arrayValue ?? []).flatMap { $0["content"]?.arrayValue ?? [] }.filter { $0["type"]?.stringValue == type }
}

@Suite struct ContextEditingTests {
    @Test func clearThinkingKeepsTheLastTurnsThinkingAndCountsTurnsNotMessages() throws {
        let body = with(agentConversation(turns: 4), edits: [["type": "clear_thinking_20251015", "keep": ["type": "thinking_turns", "value": 2]]])
        let (edited, _, applied) = try ContextEditor.edit(body)
        // Each turn has two assistant messages (a call, then the answer after its result): one turn.
        #expect(blocks(edited, type: "thinking").count == 4)
        #expect(blocks(edited, type: "thinking").map { $0["thinking"]?.stringValue } == ["thought 2", "after", "thought 3", "after"])
        #expect(applied.count == 1)
        #expect(applied[0]["type"] == "clear_thinking_20251015")
        #expect(applied[0]["cleared_thinking_turns"]?.intValue == 2)
        #expect((applied[0]["cleared_input_tokens"]?.intValue ?? 0) > 0)
    }

    @Test func clearThinkingDefaultsToOneTurnAndKeepAllClearsNothing() throws {
        let byDefault = try ContextEditor.edit(with(agentConversation(turns: 3), edits: [["type": "clear_thinking_20251015"]]))
        #expect(blocks(byDefault.body, type: "thinking").count == 2)
        for keep: JSONValue in ["all", ["type": "all"]] {
            let (edited, _, applied) = try ContextEditor.edit(with(agentConversation(turns: 3), edits: [["type": "clear_thinking_20251015", "keep": keep]]))
            #expect(blocks(edited, type: "thinking").count == 6)
            #expect(applied.isEmpty)
        }
    }

    @Test func clearToolUsesReplacesAllButTheLastThreeResultsPastTheTrigger() throws {
        let body = agentConversation(turns: 6)
        let before = TokenEstimator.estimate(request: body)
        let edit: JSONValue = ["type": "clear_tool_uses_20250919", "trigger": ["type": "input_tokens", "value": JSONValue(before - 1)]]
        let (edited, _, applied) = try ContextEditor.edit(with(body, edits: [edit]))
        let results = blocks(edited, type: "tool_result").map { $0["content"]?.stringValue }
        #expect(results.prefix(3).allSatisfy { $0 == ContextEditor.clearedToolResult })
        #expect(results.suffix(3).allSatisfy { $0 != ContextEditor.clearedToolResult })
        #expect(blocks(edited, type: "tool_use").allSatisfy { $0["input"]?["path"] != nil })  // inputs kept by default
        #expect(applied == [["type": "clear_tool_uses_20250919", "cleared_tool_uses": 3, "cleared_input_tokens": JSONValue(before - TokenEstimator.estimate(request: edited))]])
    }

    @Test func belowTheTriggerNothingIsCleared() throws {
        let body = agentConversation(turns: 6)
        let before = TokenEstimator.estimate(request: body)
        let (edited, _, applied) = try ContextEditor.edit(
            with(body, edits: [["type": "clear_tool_uses_20250919", "trigger": ["type": "input_tokens", "value": JSONValue(before)]]]))
        #expect(applied.isEmpty)
        #expect(edited["messages"] == body["messages"])
        // The default trigger (100,000 tokens) is far above this conversation.
        #expect(try ContextEditor.edit(with(body, edits: [["type": "clear_tool_uses_20250919"]])).applied.isEmpty)
    }

    @Test func keepExcludeToolsClearInputsAndAToolUsesTrigger() throws {
        let edit: JSONValue = [
            "type": "clear_tool_uses_20250919", "trigger": ["type": "tool_uses", "value": 3], "keep": ["type": "tool_uses", "value": 1],
            "exclude_tools": ["grep"], "clear_tool_inputs": ["read"],
        ]
        let (edited, _, applied) = try ContextEditor.edit(with(agentConversation(turns: 6), edits: [edit]))
        let uses = blocks(edited, type: "tool_use")
        let results = blocks(edited, type: "tool_result")
        // read at turns 0, 2, 4; grep at 1, 3, 5. The last read (turn 4) is kept; grep never cleared.
        #expect(results.map { $0["content"]?.stringValue == ContextEditor.clearedToolResult } == [true, false, true, false, false, false])
        #expect(uses.map { $0["input"] == [:] } == [true, false, true, false, false, false])
        #expect(applied[0]["cleared_tool_uses"]?.intValue == 2)
    }

    @Test func clearAtLeastUndoesAClearingThatFreesTooLittle() throws {
        let body = agentConversation(turns: 6)
        let edit: JSONValue = ["type": "clear_tool_uses_20250919", "trigger": ["type": "tool_uses", "value": 1], "clear_at_least": ["type": "input_tokens", "value": 1_000_000]]
        let (edited, _, applied) = try ContextEditor.edit(with(body, edits: [edit]))
        #expect(applied.isEmpty)
        #expect(edited["messages"] == body["messages"])
    }

    @Test(arguments: [
        (#""x""#, "context_management"),
        (#"{"edits":{}}"#, "context_management.edits"),
        (#"{"edits":[{"type":"clear_everything"}]}"#, "context_management.edits.0.type"),
        (#"{"edits":[{}]}"#, "context_management.edits.0.type"),
        (#"{"edits":[{"type":"clear_thinking_20251015","keep":{"type":"thinking_turns","value":-1}}]}"#, "context_management.edits.0.keep.value"),
        (#"{"edits":[{"type":"clear_thinking_20251015","keep":"some"}]}"#, "context_management.edits.0.keep"),
        (#"{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":1e400}}]}"#, "context_management.edits.0.trigger.value"),
        (#"{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":99999999999999999999}}]}"#, "context_management.edits.0.trigger.value"),
        (#"{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"minutes","value":5}}]}"#, "context_management.edits.0.trigger.type"),
        (#"{"edits":[{"type":"clear_tool_uses_20250919","keep":{"type":"tool_uses","value":2.5}}]}"#, "context_management.edits.0.keep.value"),
        (#"{"edits":[{"type":"clear_tool_uses_20250919","clear_at_least":{"type":"tool_uses","value":2}}]}"#, "context_management.edits.0.clear_at_least.type"),
        (#"{"edits":[{"type":"clear_tool_uses_20250919","exclude_tools":[1]}]}"#, "context_management.edits.0.exclude_tools.0"),
        (#"{"edits":[{"type":"clear_tool_uses_20250919","clear_tool_inputs":"yes"}]}"#, "context_management.edits.0.clear_tool_inputs"),
        (#"{"edits":[{"type":"compact_20260112","pause_after_compaction":"no"}]}"#, "context_management.edits.0.pause_after_compaction"),
        (#"{"edits":[{"type":"compact_20260112","instructions":7}]}"#, "context_management.edits.0.instructions"),
        (#"{"edits":[{"type":"compact_20260112","trigger":{"type":"input_tokens","value":0}}]}"#, "context_management.edits.0.trigger.value"),
        (#"{"edits":[{"type":"compact_20260112"},{"type":"compact_20260112"}]}"#, "context_management.edits.1.type"),
        (
            #"{"edits":[{"type":"clear_thinking_20251015"},{"type":"clear_thinking_20251015"},{"type":"clear_thinking_20251015"},{"type":"clear_thinking_20251015"},{"type":"clear_thinking_20251015"},{"type":"clear_thinking_20251015"},{"type":"clear_thinking_20251015"},{"type":"clear_thinking_20251015"},{"type":"clear_thinking_20251015"}]}"#,
            "context_management.edits"
        ),
    ])
    func aMalformedEditIsRefusedNamingTheField(management: String, field: String) throws {
        let body = try JSONValue(parsing: #"{"model":"m","max_tokens":1,"messages":[],"context_management":\#(management)}"#)
        let error = try #require(throws: TranslationError.self) { try ContextEditor.edit(body) }
        #expect(error.field == field)
    }

    @Test func aCompactionBlockReplacesTheHistoryBeforeIt() throws {
        let body: JSONValue = [
            "model": "m", "max_tokens": 10, "system": "sys",
            "messages": [
                ["role": "user", "content": "old question"],
                ["role": "assistant", "content": "old answer"],
                ["role": "user", "content": "question"],
                ["role": "assistant", "content": [["type": "compaction", "content": "the gist"], ["type": "text", "text": "answer"]]],
                ["role": "user", "content": "next"],
            ],
        ]
        let edited = try ContextEditor.edit(body).body
        #expect(edited["system"] == "sys")
        #expect(
            edited["messages"] == [
                ["role": "user", "content": [["type": "text", "text": JSONValue(Compaction.summaryPreamble + "the gist")]]],
                ["role": "assistant", "content": [["type": "text", "text": "answer"]]],
                ["role": "user", "content": "next"],
            ])
        // Nothing after the block: the summary joins the next user message.
        var paused = body.objectValue!
        paused["messages"] = [["role": "user", "content": "q"], ["role": "assistant", "content": [["type": "compaction", "content": "gist"]]], ["role": "user", "content": "go on"]]
        #expect(
            try ContextEditor.edit(.object(paused)).body["messages"] == [
                ["role": "user", "content": [["type": "text", "text": JSONValue(Compaction.summaryPreamble + "gist")], ["type": "text", "text": "go on"]]]
            ])
        // A failed compaction (null content) changes nothing.
        paused["messages"] = [["role": "user", "content": "q"], ["role": "assistant", "content": [["type": "compaction", "content": nil]]], ["role": "user", "content": "go on"]]
        #expect(try ContextEditor.edit(.object(paused)).body == .object(paused))
    }

    @Test func theSummaryIsTakenFromItsTags() {
        #expect(Compaction.summary(fromAnswer: "Sure.\n<summary>\nState: done.\n</summary>\nBye") == "State: done.")
        #expect(Compaction.summary(fromAnswer: "  no tags  ") == "no tags")
    }
}
