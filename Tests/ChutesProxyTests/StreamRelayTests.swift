import HTTP1
import JSON
import TestSupport
import Testing
import Translation
@testable import ChutesProxy

/// Upstream SSE bytes through the relay, fed whole, byte by byte and split at every boundary.
@Suite struct StreamRelayTests {
    static let recorded: [(name: String, sse: String)] = [
        ("text", "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hé\"}}]}\r\n\r\n: keep-alive\r\n\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"llo 👋\"},\"finish_reason\":\"stop\"}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n"),
        ("think tags and a tool call", "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>hm</think>ok\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":{\"name\":\"Read\",\"arguments\":\"{\\\"p\\\":1}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n"),
        ("no DONE, final event without its blank line", "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}"),
    ]

    private func relay(_ pieces: [[UInt8]]) throws -> (AnthropicStreamChecker, String) {
        var relay = StreamRelay(translator: StreamTranslator(context: .init(messageID: "msg_r", model: "m", estimatedInputTokens: 3)))
        var output = relay.start()
        for piece in pieces { output += relay.feed(piece) }
        output += relay.finish()
        let events = try RunningProxy.events(output)
        return (AnthropicStreamChecker(events), events.map(\.type).joined(separator: ","))
    }

    @Test(arguments: recorded.indices)
    func everySplitGivesTheSameMessage(index: Int) throws {
        let bytes = Array(Self.recorded[index].sse.utf8)
        let (whole, _) = try relay([bytes])
        #expect(whole.problems == [])
        let expected = whole.finalMessage
        let (byByte, _) = try relay(bytes.map { [$0] })
        #expect(byByte.finalMessage == expected)
        for split in 1..<bytes.count {
            let (checker, _) = try relay([Array(bytes[..<split]), Array(bytes[split...])])
            #expect(checker.problems == [], "split at \(split)")
            #expect(checker.finalMessage == expected, "split at \(split)")
        }
    }

    @Test func recordedMessagesAreWhatTheUpstreamSaid() throws {
        #expect(try relay([Array(Self.recorded[0].sse.utf8)]).0.finalMessage["content"] == [["type": "text", "text": "Héllo 👋"]])
        let tools = try relay([Array(Self.recorded[1].sse.utf8)]).0.finalMessage
        #expect(tools["content"]?.arrayValue?.map { $0["type"]?.stringValue ?? "" } == ["thinking", "text", "tool_use"])
        #expect(tools["content"]?[2]?["input"] == ["p": 1])
    }

    @Test func aMalformedChunkEndsWithAnErrorEvent() throws {
        let (checker, types) = try relay([Array("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: {not json\n\n".utf8)])
        #expect(checker.problems == [])
        #expect(types.hasSuffix("error"))
        #expect(checker.errorEvent?["error"]?["message"]?.stringValue?.contains("malformed") == true)
    }
}
