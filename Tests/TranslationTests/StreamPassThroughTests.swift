import JSON
import Testing
import Translation

/// Text, reasoning and tool arguments that need no change leave the translator as the
/// upstream wrote them (escapes included), and the encoded events are the JSON they claim.
@Suite struct StreamPassThroughTests {
    private func encoded(_ chunks: [String]) throws -> (bytes: String, events: [AnthropicStreamEvent]) {
        var translator = StreamTranslator(context: .init(messageID: "msg_test", model: "m", estimatedInputTokens: 1))
        var events = translator.start()
        for chunk in chunks { events += translator.consume(try JSONValue(parsing: chunk)) }
        events += translator.finish()
        var bytes: [UInt8] = []
        for event in events { event.encode(into: &bytes) }
        return (String(decoding: bytes, as: UTF8.self), events)
    }

    private func chunk(_ delta: String) -> String { #"{"choices":[{"index":0,"delta":\#(delta),"finish_reason":null}]}"# }

    @Test func escapedTextIsCopiedVerbatimAndDecodesTheSame() throws {
        let (bytes, events) = try encoded([chunk(#"{"content":"plain "}"#), chunk(#"{"content":"caf\u00e9 \"q\"\n\ud83d\ude00 \/"}"#)])
        #expect(bytes.contains(#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"caf\u00e9 \"q\"\n\ud83d\ude00 \/"}}"#))
        let texts = events.compactMap { $0.payload["delta"]?["text"]?.stringValue }
        #expect(texts == ["plain ", "café \"q\"\n😀 /"])
    }

    @Test func reasoningAndToolArgumentsPassThrough() throws {
        let (bytes, events) = try encoded([
            chunk(#"{"reasoning_content":"think \"hard\""}"#),
            chunk(#"{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"Read","arguments":"{\"pa"}}]}"#),
            chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"th\":\"\\u00e9\"}"}}]}"#),
        ])
        #expect(bytes.contains(#""delta":{"type":"thinking_delta","thinking":"think \"hard\""}}"#))
        // Live arguments go out up to the last point that can still be closed to valid JSON
        // (so the pieces need not match the upstream's chunks), with the upstream's escapes kept.
        #expect(bytes.contains(#"\":\"\\u00e9\"}"}}"#))
        let arguments = events.compactMap { $0.payload["delta"]?["partial_json"]?.stringValue }.joined()
        #expect(try JSONValue(parsing: arguments) == ["path": "\u{e9}"])
    }

    @Test func everyEncodedEventIsValidJSONMatchingItsPayload() throws {
        let (bytes, events) = try encoded([chunk(#"{"content":"a\tb"}"#), chunk(#"{"reasoning":"late"}"#)])
        let dataLines = bytes.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        #expect(dataLines.count == events.count)
        for (line, event) in zip(dataLines, events) {
            #expect(try JSONValue(parsing: line) == event.payload)
        }
    }
}
