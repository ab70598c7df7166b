import JSON
import TestSupport
import Testing

@testable import Translation

private let tools: [(name: String, inputSchema: JSONValue)] = [("Bash", ["type": "object", "properties": ["command": ["type": "string"]]])]

/// The text through a parser of `family` that holds regions of at most `limit` bytes, cut as
/// `pieces`; adjacent text merged.
private func run(_ pieces: [String], family: ToolCallFamily, limit: Int) -> [InterceptedText] {
    var parser = TextToolCallParser(formats: family.formats, tools: DeclaredTools(tools), maxRegionBytes: limit)
    var merged: [InterceptedText] = []
    for item in pieces.flatMap({ parser.feed($0) }) + parser.finish() {
        if case .text(let next) = item, case .text(let previous)? = merged.last {
            merged[merged.count - 1] = .text(previous + next)
        } else if item != .text("") {
            merged.append(item)
        }
    }
    return merged
}

private let bash = InterceptedText.toolCall(name: "Bash", argumentsJSON: "{}")

/// A region may be held open for at most `maxRegionBytes`; a longer one is passed on as text
/// at that point, as an unterminated one is at the end, and what follows is read afresh. The
/// rule depends on the text alone, not on where the stream cut it.
@Suite struct TextToolCallParserLimitTests {
    /// 38 bytes, markers included.
    static let call = #"<tool_call>{"name":"Bash"}</tool_call>"#

    @Test func aRegionLongerThanTheLimitIsTextAndWhatFollowsIsReadAgain() {
        let long = "<tool_call>" + String(repeating: "x", count: 40) + "</tool_call>"
        let text = "a" + long + "b" + Self.call
        #expect(firstSplitThatDiffers(text, expected: [.text("a" + long + "b"), bash]) { run($0, family: .hermes, limit: 40) } == nil)
    }

    @Test func aRegionOfTheLimitsLengthIsACall() {
        #expect(firstSplitThatDiffers(Self.call, expected: [bash]) { run($0, family: .hermes, limit: 38) } == nil)
        #expect(firstSplitThatDiffers(Self.call, expected: [.text(Self.call)]) { run($0, family: .hermes, limit: 37) } == nil)
    }

    /// The same for a region that ends with its JSON rather than a closing marker.
    @Test func aJSONBodiedRegionOverTheLimitIsText() {
        let region = #"<|python_tag|>{"name": "Bash", "parameters": {}}"#
        #expect(firstSplitThatDiffers(region, expected: [bash]) { run($0, family: .llama, limit: region.utf8.count) } == nil)
        #expect(firstSplitThatDiffers(region, expected: [.text(region)]) { run($0, family: .llama, limit: region.utf8.count - 1) } == nil)
    }

    /// Whitespace between calls is held (dropped when a call follows); more of it than the
    /// limit is not a separator, and is passed on.
    @Test func whitespaceAfterACallIsHeldUpToTheLimit() {
        let short = String(repeating: " ", count: 40)
        let long = String(repeating: " ", count: 41)
        #expect(firstSplitThatDiffers(Self.call + short + Self.call, expected: [bash, bash]) { run($0, family: .hermes, limit: 40) } == nil)
        #expect(firstSplitThatDiffers(Self.call + long + Self.call, expected: [bash, .text(long), bash]) { run($0, family: .hermes, limit: 40) } == nil)
    }

    /// Gemma 4's notation is read by recursion: nesting deeper than the JSON parser allows
    /// (256) is text, not a stack overflow (50,000 levels, any model under `auto`, crashed
    /// the process).
    @Test func deeplyNestedGemmaArgumentsAreText() {
        func region(depth: Int) -> String {
            "<|tool_call>call:Bash{" + String(repeating: "a:{", count: depth) + String(repeating: "}", count: depth) + "}<tool_call|>"
        }
        let deep = region(depth: 50_000)
        #expect(runTextToolCallParser([deep], setting: "auto", tools: tools) == [.text(deep)])
        guard case .toolCall(let name, _)? = runTextToolCallParser([region(depth: 200)], setting: "auto", tools: tools).first else {
            Issue.record("200 levels are a call")
            return
        }
        #expect(name == "Bash")
    }
}
