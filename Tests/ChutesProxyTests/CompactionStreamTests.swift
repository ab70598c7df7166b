import HTTP1
import JSON
import TestSupport
import Testing
import Translation

@testable import ChutesProxy

/// The stream of an answer that opens with a compaction block and reports context edits,
/// relayed from upstream bytes cut at every boundary.
@Suite struct CompactionStreamTests {
    static let block: JSONValue = ["type": "compaction", "content": "The gist."]
    static let management: JSONValue = ["applied_edits": [["type": "clear_tool_uses_20250919", "cleared_tool_uses": 2, "cleared_input_tokens": 900]]]
    static let iteration: JSONValue = ["type": "compaction", "input_tokens": 900, "output_tokens": 20, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0]

    private func relay(_ pieces: [[UInt8]]) throws -> AnthropicStreamChecker {
        let context = StreamTranslator.Context(
            messageID: "msg_c", model: "m", estimatedInputTokens: 7, contextManagement: Self.management, leadingBlocks: [Self.block], earlierIterations: [Self.iteration])
        var relay = StreamRelay(translator: StreamTranslator(context: context), redactor: SecretRedactor(secrets: []))
        var output = relay.start()
        for piece in pieces { output += relay.feed(piece) }
        output += relay.finish()
        return AnthropicStreamChecker(try RunningProxy.events(output))
    }

    @Test func everySplitGivesTheCompactionBlockFirstAndTheEditsInMessageDelta() throws {
        let sse = StreamRelayTests.sse(
            [#"{"reasoning_content":"hm"}"#, #"{"content":"Report."}"#, #"{"tool_calls":[{"index":0,"id":"c","function":{"name":"Read","arguments":"{\"p\":1}"}}]}"#],
            finish: "tool_calls")
        let ways = everySplit(of: sse)
        let whole = try relay(ways[0].chunks)
        #expect(whole.problems == [])
        let message = whole.finalMessage
        #expect(message["content"]?.arrayValue?.map { $0["type"]?.stringValue ?? "" } == ["compaction", "thinking", "text", "tool_use"])
        #expect(message["content"]?[0] == Self.block)
        #expect(message["context_management"] == Self.management)
        #expect(message["usage"]?["iterations"]?.arrayValue?.map { $0["type"]?.stringValue ?? "" } == ["compaction", "message"])
        #expect(message["stop_reason"] == "tool_use")
        for way in ways.dropFirst() {
            let checker = try relay(way.chunks)
            #expect(checker.problems == [], "\(way.label)")
            #expect(checker.finalMessage == message, "\(way.label)")
        }
    }
}
