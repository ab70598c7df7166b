import Testing

@testable import ChutesProxy

@Suite struct ModelMapAndContentTypeTests {
    @Test(arguments: [
        ("claude-*", "claude-opus-4", true), ("claude-*haiku*", "claude-3-5-haiku-2024", true),
        ("claude-*haiku*", "claude-sonnet-4", false), ("*-v3", "deepseek-v3", true), ("*-v3", "deepseek-v3.1", false),
        ("a*b*c", "abc", true), ("a*b*c", "ac", false), ("ab*ba", "aba", false), ("*", "", true), ("ü*", "über", true),
    ])
    func globMatchesWholeNames(pattern: String, name: String, matches: Bool) {
        #expect(ModelMap.glob(pattern, matches: name) == matches)
    }

    @Test func exactThenCaseThenPatterns() {
        let map = ModelMap([("claude-*", "pattern"), ("Claude-Opus", "folded"), ("claude-opus", "exact")])
        #expect(map.upstreamModel(for: "claude-opus") == "exact")
        #expect(map.upstreamModel(for: "CLAUDE-OPUS") == "folded")
        #expect(map.upstreamModel(for: "claude-haiku") == "pattern")
        #expect(map.upstreamModel(for: "gpt") == nil)
    }

    @Test(arguments: [
        ("text/event-stream", true), ("Text/Event-Stream; charset=utf-8", true), (" text/event-stream ;x", true),
        ("application/json", false), ("text/event-streamx", false), ("", false),
    ])
    func eventStreamContentType(value: String, isEventStream: Bool) {
        #expect(MessagesHandler.isEventStreamType(value) == isEventStream)
    }
}
