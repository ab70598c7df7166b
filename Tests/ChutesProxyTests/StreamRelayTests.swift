import HTTP1
import JSON
import TestSupport
import Testing
import Translation

@testable import ChutesProxy

/// Upstream SSE bytes through the relay, fed whole, byte by byte and split at every boundary.
extension String {
    fileprivate func replacingDone(with replacement: String) -> String {
        replacing("data: [DONE]\n\n", with: replacement)
    }
}

@Suite struct StreamRelayTests {
    static let recorded: [(name: String, sse: String)] = [
        (
            "text",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hé\"}}]}\r\n\r\n: keep-alive\r\n\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"llo 👋\"},\"finish_reason\":\"stop\"}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n"
        ),
        (
            "think tags and a tool call",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>hm</think>ok\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":{\"name\":\"Read\",\"arguments\":\"{\\\"p\\\":1}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n"
        ),
        ("no DONE, final event without its blank line", "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}"),
        ("reasoning then text", sse([#"{"reasoning_content":"step 1. "}"#, #"{"reasoning":"step 2."}"#, #"{"content":"answer"}"#], finish: "stop")),
        (
            "several tool calls interleaved by index",
            sse(
                [
                    #"{"tool_calls":[{"index":0,"id":"a","function":{"name":"Read","arguments":"{\"p\":"}},{"index":1,"id":"b","function":{"name":"Grep","arguments":"{\"q\":"}}]}"#,
                    #"{"tool_calls":[{"index":1,"function":{"arguments":"\"x\"}"}}]}"#,
                    #"{"tool_calls":[{"index":0,"function":{"arguments":"\"/y\"}"}}]}"#,
                ], finish: "tool_calls")
        ),
        (
            "arguments before the name",
            sse([#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"n\":"}}]}"#, #"{"tool_calls":[{"index":0,"id":"c","function":{"name":"Count","arguments":"2}"}}]}"#], finish: "tool_calls")
        ),
        ("empty stream", "data: [DONE]\n\n"),
        (
            "usage-only final chunk",
            sse([#"{"content":"hi"}"#], finish: "stop").replacingDone(
                with: "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":4}}}\n\ndata: [DONE]\n\n")
        ),
        ("an error chunk mid-stream", sse([#"{"content":"par"}"#]).replacingDone(with: "data: {\"error\":{\"message\":\"engine crashed\"}}\n\n")),
    ]

    /// SSE text for deltas, a finish chunk when given, and `[DONE]`.
    static func sse(_ deltas: [String], finish: String? = nil) -> String {
        var text = ""
        for delta in deltas { text += "data: {\"choices\":[{\"index\":0,\"delta\":\(delta)}]}\n\n" }
        if let finish { text += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"\(finish)\"}]}\n\n" }
        return text + "data: [DONE]\n\n"
    }

    private func relay(_ pieces: [[UInt8]]) throws -> (AnthropicStreamChecker, String) {
        var relay = StreamRelay(translator: StreamTranslator(context: .init(messageID: "msg_r", model: "m", estimatedInputTokens: 3)), redactor: SecretRedactor(secrets: []))
        var output = relay.start()
        for piece in pieces { output += relay.feed(piece) }
        output += relay.finish()
        let events = try RunningProxy.events(output)
        return (AnthropicStreamChecker(events), events.map(\.type).joined(separator: ","))
    }

    @Test(arguments: recorded.indices)
    func everySplitGivesTheSameMessage(index: Int) throws {
        let ways = everySplit(of: Self.recorded[index].sse)
        let (whole, _) = try relay(ways[0].chunks)
        #expect(whole.problems == [])
        let expected = whole.finalMessage
        for way in ways.dropFirst() {
            let (checker, _) = try relay(way.chunks)
            #expect(checker.problems == [], "\(way.label)")
            #expect(checker.finalMessage == expected, "\(way.label)")
        }
    }

    @Test func recordedMessagesAreWhatTheUpstreamSaid() throws {
        #expect(try relay([Array(Self.recorded[0].sse.utf8)]).0.finalMessage["content"] == [["type": "text", "text": "Héllo 👋"]])
        let tools = try relay([Array(Self.recorded[1].sse.utf8)]).0.finalMessage
        #expect(tools["content"]?.arrayValue?.map { $0["type"]?.stringValue ?? "" } == ["thinking", "text", "tool_use"])
        #expect(tools["content"]?[2]?["input"] == ["p": 1])
    }

    @Test func theRecordedSequencesMeanWhatTheySay() throws {
        func message(_ name: String) throws -> AnthropicStreamChecker {
            try relay([Array(Self.recorded.first { $0.name == name }!.sse.utf8)]).0
        }
        #expect(try message("reasoning then text").content.map { $0["type"]?.stringValue ?? "" } == ["thinking", "text"])
        let calls = try message("several tool calls interleaved by index").content
        #expect(calls.map { $0["input"] ?? nil } == [["p": "/y"], ["q": "x"]])
        #expect(try message("arguments before the name").content.first?["input"] == ["n": 2])
        #expect(try message("empty stream").finalMessage["content"] == [])
        let usage = try message("usage-only final chunk").finalMessage["usage"]
        #expect(usage?["input_tokens"]?.intValue == 5 && usage?["cache_read_input_tokens"]?.intValue == 4)
        #expect(try message("an error chunk mid-stream").errorEvent?["error"]?["message"]?.stringValue?.contains("engine crashed") == true)
    }

    @Test func aMalformedChunkEndsWithAnErrorEvent() throws {
        let (checker, types) = try relay([Array("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: {not json\n\n".utf8)])
        #expect(checker.problems == [])
        #expect(types.hasSuffix("error"))
        #expect(checker.errorEvent?["error"]?["message"]?.stringValue?.contains("malformed") == true)
    }
}
