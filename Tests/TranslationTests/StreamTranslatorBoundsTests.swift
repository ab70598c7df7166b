import JSON
import TestSupport
import Testing
import Translation

private let tools: [(name: String, inputSchema: JSONValue)] = [("Bash", ["type": "object", "properties": ["command": ["type": "string"]]])]

private func chunk(_ delta: JSONValue, finish: String? = nil) -> JSONValue {
    ["choices": [["index": 0, "delta": delta, "finish_reason": finish.map { JSONValue($0) } ?? nil]]]
}

private func call(_ index: Int, id: String? = nil, name: String? = nil, arguments: String) -> JSONValue {
    var function: JSONObject = ["arguments": JSONValue(arguments)]
    if let name { function["name"] = JSONValue(name) }
    var call: JSONObject = ["index": JSONValue(index), "function": .object(function)]
    if let id { call["id"] = JSONValue(id) }
    return chunk(["tool_calls": [.object(call)]])
}

/// Runs `chunks` (then the finish chunk and the end) through a translator; the events, checked.
private func translate(_ chunks: [JSONValue], maxHeldBytes: Int = StreamTranslator.defaultMaxHeldBytes) -> AnthropicStreamChecker {
    var translator = StreamTranslator(
        context: .init(
            messageID: "msg_bounds", model: "claude", estimatedInputTokens: 1,
            textToolCalls: makeTextToolCallParser(setting: "auto", model: "some-model", tools: tools), maxHeldBytes: maxHeldBytes))
    var events = translator.start()
    for chunk in chunks { events += translator.consume(chunk) }
    events += translator.consume(chunk([:], finish: "tool_calls"))
    events += translator.finish()
    let checker = AnthropicStreamChecker(events)
    #expect(checker.problems == [])
    return checker
}

/// What a stream costs and holds has bounds whatever the upstream writes: time proportional
/// to the text, and at most `maxHeldBytes` held for later (past it, an `api_error` event).
@Suite struct StreamTranslatorBoundsTests {
    /// The issue's repro: a call region opened and then 25,000 one-byte deltas. The parser
    /// that read the region again on every delta took 332 s of CPU (release build); read once,
    /// it is well under a second here even in a debug build, so a bound this generous tells
    /// the two apart on a machine under any load.
    @Test(arguments: ["<tool_call>", "<|tool_calls_section_begin|>", "<｜tool▁calls▁begin｜>"])
    func twentyFiveThousandDeltasInsideACallRegion(opening: String) {
        let started = ContinuousClock.now
        let checker = translate([chunk(["content": JSONValue(opening)])] + Array(repeating: chunk(["content": "x"]), count: 25_000))
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(30), "\(opening): \(elapsed)")
        // Never closed: the region is text at the end, whole.
        #expect(checker.content == [["type": "text", "text": JSONValue(opening + String(repeating: "x", count: 25_000))]])
    }

    /// A call region held past `TextToolCallParser.defaultMaxRegionBytes` (4 MiB) is passed
    /// on as text then, not at the end: the parser holds no more than that.
    @Test func aRegionOverTheLimitIsPassedOnAsText() {
        var parser = makeTextToolCallParser(setting: "auto", model: "some-model", tools: tools)!
        var output = parser.feed("<tool_call>")
        var held = "<tool_call>".utf8.count
        while held < TextToolCallParser.defaultMaxRegionBytes {
            let size = min(64 << 10, TextToolCallParser.defaultMaxRegionBytes - held)
            output += parser.feed(String(repeating: "x", count: size))
            held += size
        }
        #expect(output.count == 0, "a region of the limit's length is held")
        output += parser.feed("x")
        #expect(output.count == 1)
        guard case .text(let text)? = output.first else { return }
        #expect(text.hasPrefix("<tool_call>xxx"))
        #expect(text.utf8.count == TextToolCallParser.defaultMaxRegionBytes + 1, "all of it passed on")
    }

    /// Arguments of a second call are held until the upstream finishes: past the limit the
    /// stream ends with an error event (the issue: 100 MiB of them cost 387 MB).
    @Test func argumentsOfAHeldCallPastTheLimitEndTheStream() throws {
        let piece = String(repeating: "a", count: 1000)
        let checker = translate(
            [call(0, id: "a", name: "Bash", arguments: #"{"command": "ls"}"#), call(1, id: "b", name: "Bash", arguments: #"{"command": ""#)]
                + Array(repeating: call(1, arguments: piece), count: 100), maxHeldBytes: 50_000)
        let error = try #require(checker.errorEvent)
        #expect(error["error"]?["type"]?.stringValue == "api_error")
        #expect(error["error"]?["message"]?.stringValue?.contains("held back") == true)
    }

    /// Text while a tool block is open is held until the calls are sent (the issue: 100 MiB
    /// of it cost 306 MB).
    @Test func textHeldWhileAToolBlockIsOpenPastTheLimitEndsTheStream() throws {
        let piece = String(repeating: "t", count: 1000)
        let checker = translate(
            [call(0, id: "a", name: "Bash", arguments: #"{"command": "ls"#)] + Array(repeating: chunk(["content": JSONValue(piece)]), count: 100), maxHeldBytes: 50_000)
        #expect(checker.errorEvent?["error"]?["type"]?.stringValue == "api_error")
    }

    /// Many calls count too, not only long ones.
    @Test func manySmallHeldCallsPastTheLimitEndTheStream() {
        let checker = translate([call(0, id: "a", name: "Bash", arguments: "{}")] + (1...1000).map { call($0, id: "c\($0)", name: "Bash", arguments: "{}") }, maxHeldBytes: 50_000)
        #expect(checker.errorEvent?["error"]?["type"]?.stringValue == "api_error")
    }

    /// The live call's arguments go out as they come and are not kept: a call far longer
    /// than the limit streams whole.
    @Test func aLiveCallLongerThanTheLimitStreamsWhole() {
        let piece = String(repeating: "a", count: 1000)
        let checker = translate(
            [call(0, id: "a", name: "Bash", arguments: #"{"command": ""#)] + Array(repeating: call(0, arguments: piece), count: 200) + [call(0, arguments: #""}"#)],
            maxHeldBytes: 50_000)
        #expect(checker.errorEvent == nil)
        #expect(checker.content.first?["input"]?["command"]?.stringValue == String(repeating: "a", count: 200_000))
    }

    /// Arguments sent whole in one fragment (what most servers do) count once against the
    /// limit: recognising snapshots (issue 25) keeps no second copy of a held call's
    /// arguments, nor the first call's once they went out.
    @Test func argumentsSentWholeInOneFragmentCountOnce() {
        let arguments = #"{"command": ""# + String(repeating: "c", count: 30_000) + #""}"#
        let checker = translate([call(0, id: "a", name: "Bash", arguments: arguments), call(1, id: "b", name: "Bash", arguments: arguments)], maxHeldBytes: 50_000)
        #expect(checker.errorEvent == nil)
        #expect(checker.content.count == 2)
        #expect(checker.content.last?["input"]?["command"]?.stringValue?.utf8.count == 30_000)
    }

    /// Below the limit nothing changes: held calls and text still go out whole at the end.
    @Test func whatIsHeldBelowTheLimitGoesOutAtTheEnd() {
        let arguments = #"{"command": ""# + String(repeating: "b", count: 1 << 20) + #""}"#
        let checker = translate([call(0, id: "a", name: "Bash", arguments: #"{"command": "ls"}"#), call(1, id: "b", name: "Bash", arguments: arguments), chunk(["content": "after"])])
        #expect(checker.errorEvent == nil)
        #expect(checker.content.count == 3)
        #expect(checker.content[1]["input"]?["command"]?.stringValue?.utf8.count == 1 << 20)
        #expect(checker.content[2]["text"]?.stringValue == "after")
    }

    /// Leading whitespace is held while the splitter waits for a reasoning tag: it was read
    /// again on every piece (the square of its length), and held without a bound.
    @Test func leadingWhitespaceIsReadOnceAndBounded() {
        let started = ContinuousClock.now
        var splitter = ThinkTagSplitter()
        var pieces: [ThinkTagSplitter.Piece] = []
        for _ in 0..<50_000 { pieces += splitter.feed(" ") }
        pieces += splitter.feed("<think>a</think>b")
        pieces += splitter.finish()
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(pieces == [.thinking("a"), .text("b")])

        var long = ThinkTagSplitter()
        let tooMuch = String(repeating: " ", count: ThinkTagSplitter.maxLeadingWhitespace + 1)
        #expect(long.feed(tooMuch) == [.text(tooMuch)])
        #expect(long.feed("<think>") == [.text("<think>")])
    }
}
