import JSON
import TestSupport
import Testing

@testable import Translation

private func translate(_ chunks: [JSONValue]) -> AnthropicStreamChecker {
    var translator = StreamTranslator(context: .init(messageID: "msg_snapshots", model: "claude", estimatedInputTokens: 1))
    var events = translator.start()
    for chunk in chunks { events += translator.consume(chunk) }
    events += translator.consume(["choices": [["index": 0, "delta": [:], "finish_reason": "tool_calls"]]])
    events += translator.finish()
    let checker = AnthropicStreamChecker(events)
    #expect(checker.problems == [])
    return checker
}

private func argumentsChunk(_ index: Int, _ arguments: String, id: String? = nil, name: String? = nil) -> JSONValue {
    var function: JSONObject = ["arguments": JSONValue(arguments)]
    if let name { function["name"] = JSONValue(name) }
    var call: JSONObject = ["index": JSONValue(index), "type": "function", "function": .object(function)]
    if let id { call["id"] = JSONValue(id) }
    return ["choices": [["index": 0, "delta": ["tool_calls": [.object(call)]], "finish_reason": nil]]]
}

/// Each fragment everything so far: what an upstream that streams cumulative snapshots sends.
private func snapshots(of arguments: String, cuts: [Int]) -> [String] {
    cuts.map { String(arguments.prefix($0)) } + [arguments]
}

/// Streamed tool arguments sent as cumulative snapshots instead of deltas (issue 25): only
/// what each snapshot adds is taken, for any upstream, without a setting.
@Suite struct SnapshotArgumentsTests {
    /// The issue's example: `{"city": "Paris"}` after `{"city": "Pa` became `{"city": "Pa{"city": "Paris"}`.
    @Test func aSnapshotAfterItsBeginningAddsOnlyWhatIsNew() {
        let checker = translate([
            argumentsChunk(0, "", id: "call_1", name: "Weather"),
            argumentsChunk(0, #"{"city": "Pa"#),
            argumentsChunk(0, #"{"city": "Paris"}"#),
        ])
        #expect(checker.content == [["type": "tool_use", "id": "call_1", "name": "Weather", "input": ["city": "Paris"]]])
    }

    /// Snapshots cut at every point, for a live call and for a held one (sent whole at the end),
    /// with non-ASCII text (the cut must fall between characters).
    @Test(arguments: [false, true])
    func snapshotsCutAnywhereGiveTheObject(held: Bool) throws {
        let arguments = #"{"path": "/tmp/é/a.txt", "content": "line 1\nline 2 ✓", "n": [1, {"x": null}]}"#
        let expected = try JSONValue(parsing: arguments)
        let first = held ? [argumentsChunk(1, "{}", id: "first", name: "First")] : []
        let count = arguments.count
        for cuts in [[1], [count / 2], Array(stride(from: 1, to: count, by: 3)), Array(1..<count)] {
            let chunks = first + [argumentsChunk(0, "", id: "c", name: "Write")] + snapshots(of: arguments, cuts: cuts).map { argumentsChunk(0, $0) }
            let checker = translate(chunks)
            #expect(checker.content.last?["input"] == expected, "cuts \(cuts.prefix(3))… held \(held)")
        }
    }

    @Test func aRepeatedWholeArgumentObjectIsTakenOnce() {
        // Some servers send the complete arguments again in the chunk that finishes.
        let checker = translate([
            argumentsChunk(0, #"{"command":"ls"}"#, id: "call_1", name: "Bash"),
            argumentsChunk(0, #"{"command":"ls"}"#),
        ])
        #expect(checker.content.first?["input"] == ["command": "ls"])
    }

    /// Deltas are read as deltas, also those that equal a beginning of what came before, or
    /// (once one of them showed the call streams deltas) all of it.
    @Test func deltasThatRepeatWhatCameBeforeAreKept() {
        let short = translate([
            argumentsChunk(0, "", id: "call_1", name: "Echo"),
            argumentsChunk(0, #"{"text": ""#),
            argumentsChunk(0, "{"),
            argumentsChunk(0, "{"),
            argumentsChunk(0, #""}"#),
        ])
        #expect(short.content.first?["input"] == ["text": "{{"])
        let whole = translate([
            argumentsChunk(0, #"{"a": ["#, id: "call_1", name: "Nest"),
            argumentsChunk(0, "1, "),
            argumentsChunk(0, #"{"a": [1, 2]}]}"#),
        ])
        #expect(whole.content.first?["input"] == ["a": [1, ["a": [1, 2]]]])
    }

    /// The one ambiguous case, written down in `ArgumentFragments`: a second fragment that
    /// repeats the whole first one. `{` then `{…`: as a delta `{{` is not JSON, so it can only
    /// be a snapshot; `{"a":` then `{"a":1}}` reads as a snapshot too (the rule), though as
    /// a delta it would be `{"a":{"a":1}}`.
    @Test func aSecondFragmentRepeatingTheFirstIsASnapshot() {
        let brace = translate([argumentsChunk(0, "{", id: "c", name: "T"), argumentsChunk(0, #"{"a":1}"#)])
        #expect(brace.content.first?["input"] == ["a": 1])
        let equal = translate([argumentsChunk(0, #"{"a":"#, id: "c", name: "T"), argumentsChunk(0, #"{"a":"#), argumentsChunk(0, #"{"a":2}"#)])
        #expect(equal.content.first?["input"] == ["a": 2])
    }

    /// A snapshot that stops starting with what came before (a server rewriting earlier text)
    /// is appended from then on, as a delta would be.
    @Test func aSnapshotStreamThatStopsRepeatingIsReadAsDeltas() {
        var fragments = ArgumentFragments()
        #expect(fragments.read(#"{"a":"#) == .whole)
        #expect(fragments.read(#"{"a":1"#) == .suffix("1"))
        #expect(fragments.read(",") == .whole)
        #expect(fragments.read(#"{"a":1,"#) == .whole)
        #expect(fragments.retainedBytes == 0)
    }

    @Test func emptyFragmentsDecideNothing() {
        var fragments = ArgumentFragments()
        #expect(fragments.read("") == .whole)
        #expect(fragments.read("{") == .whole)
        #expect(fragments.read("") == .whole)
        #expect(fragments.read(#"{"a":1}"#) == .suffix(#""a":1}"#))
    }

    /// A delta stream keeps nothing once its second fragment showed it is one, and costs one
    /// test a fragment after that; a snapshot stream compares each snapshot with the last
    /// (linear in the bytes received). 400 kB in 100,000 four-byte deltas and 2,000 snapshots
    /// growing by 4 bytes (8 MB received) each finish well within the bound in a debug build;
    /// re-reading the whole arguments on every fragment would be 20,000 times as much.
    @Test func longArgumentsInManySmallPiecesTakeLinearTime() {
        let started = ContinuousClock.now
        let body = String(repeating: "abcd", count: 100_000)
        var deltas = [argumentsChunk(0, #"{"content": ""#, id: "c", name: "Write")]
        for _ in 0..<100_000 { deltas.append(argumentsChunk(0, "abcd")) }
        deltas.append(argumentsChunk(0, #""}"#))
        #expect(translate(deltas).content.first?["input"]?["content"]?.stringValue == body)

        let text = #"{"content": ""# + String(repeating: "wxyz", count: 2000) + #""}"#
        let growing = stride(from: 16, through: text.utf8.count, by: 4).map { String(decoding: text.utf8.prefix($0), as: UTF8.self) } + [text]
        let chunks = [argumentsChunk(0, "", id: "c", name: "Write")] + growing.map { argumentsChunk(0, $0) }
        #expect(translate(chunks).content.first?["input"]?["content"]?.stringValue == String(repeating: "wxyz", count: 2000))
        #expect(ContinuousClock.now - started < .seconds(60))
    }
}
