import JSON
import Testing
import Translation

/// Token counts come from the upstream: any integer, however large or negative, is reported
/// without trapping, and clamped to what the counts can mean: no negative count, and no more
/// cached tokens than prompt tokens; the uncached rest is the input.
@Suite struct UpstreamUsageNumbersTests {
    static let extremes: [(prompt: String, cached: String, input: Int, cacheRead: Int)] = [
        ("120", "20", 100, 20),  // an honest upstream: the cached part reported apart
        ("-9223372036854775808", "1", 0, 0),
        ("9223372036854775807", "-9223372036854775808", .max, 0),
        ("5", "9", 0, 5),
        ("-3", "-4", 0, 0),
    ]

    @Test(arguments: extremes)
    func extremeUsageInAResponseIsClamped(prompt: String, cached: String, input: Int, cacheRead: Int) throws {
        let usage = try JSONValue(parsing: #"{"prompt_tokens":\#(prompt),"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":\#(cached)}}"#)
        let translated = ResponseTranslator.usage(usage)
        #expect(translated["input_tokens"]?.intValue == input)
        #expect(translated["cache_read_input_tokens"]?.intValue == cacheRead)
        #expect(translated["output_tokens"]?.intValue == 1)
    }

    @Test(arguments: extremes)
    func extremeUsageInAStreamIsClamped(prompt: String, cached: String, input: Int, cacheRead: Int) throws {
        var translator = StreamTranslator(context: .init(messageID: "msg", model: "m", estimatedInputTokens: 1))
        _ = translator.start()
        _ = translator.consume(try JSONValue(parsing: #"{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}"#))
        _ = translator.consume(try JSONValue(parsing: #"{"choices":[],"usage":{"prompt_tokens":\#(prompt),"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":\#(cached)}}}"#))
        let delta = try #require(translator.finish().first { $0.type == "message_delta" })
        #expect(delta.payload["usage"]?["input_tokens"]?.intValue == input)
        #expect(delta.payload["usage"]?["cache_read_input_tokens"]?.intValue == cacheRead)
        #expect(delta.payload["usage"]?["output_tokens"]?.intValue == 1)
    }
}
