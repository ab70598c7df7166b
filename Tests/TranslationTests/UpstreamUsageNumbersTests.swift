import JSON
import Testing
import Translation

/// Token counts come from the upstream: any integer, however large or negative, is reported
/// without trapping.
@Suite struct UpstreamUsageNumbersTests {
    static let extremes: [(prompt: String, cached: String)] = [
        ("-9223372036854775808", "1"), ("9223372036854775807", "-9223372036854775808"), ("5", "9"), ("-3", "-4"),
    ]

    @Test(arguments: extremes)
    func extremeUsageInAResponseIsClamped(prompt: String, cached: String) throws {
        let usage = try JSONValue(parsing: #"{"prompt_tokens":\#(prompt),"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":\#(cached)}}"#)
        let translated = ResponseTranslator.usage(usage)
        let input = try #require(translated["input_tokens"]?.intValue)
        let read = try #require(translated["cache_read_input_tokens"]?.intValue)
        #expect(input >= 0 && read >= 0)
    }

    @Test(arguments: extremes)
    func extremeUsageInAStreamIsClamped(prompt: String, cached: String) throws {
        var translator = StreamTranslator(context: .init(messageID: "msg", model: "m", estimatedInputTokens: 1))
        _ = translator.start()
        _ = translator.consume(try JSONValue(parsing: #"{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}"#))
        _ = translator.consume(try JSONValue(parsing: #"{"choices":[],"usage":{"prompt_tokens":\#(prompt),"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":\#(cached)}}}"#))
        let delta = try #require(translator.finish().first { $0.type == "message_delta" })
        #expect((delta.payload["usage"]?["input_tokens"]?.intValue ?? -1) >= 0)
    }
}
