import JSON
import TestSupport
import Testing

@testable import Translation

private let tools: [(name: String, inputSchema: JSONValue)] = [("Bash", ["type": "object", "properties": ["command": ["type": "string"]]])]

/// The parser's work grows with the text, not with its square, however the text is cut: a
/// region that stays open across many deltas is read on from where the last one stopped, and
/// many markers in one piece (a whole non-streamed answer) cost no more than one each. Work
/// is `TextToolCallParser.work`, the bytes it looked at or copied, so the claim is tested
/// exactly, whatever the machine's load: four times the text must cost about four times the
/// work (the rescanning parser cost sixteen times, and 332 s of CPU at 25,000 deltas).
@Suite struct TextToolCallParserWorkTests {
    /// A region's opening per family, and a byte that keeps it open (inside a JSON string
    /// for the families whose region is a JSON value, inside a name for Mistral's `NAME[ARGS]`).
    static let openRegions: [(family: String, opening: String)] = [
        ("hermes", "<tool_call>"), ("seed_oss", "<seed:tool_call>"), ("longcat", "<longcat_tool_call>"),
        ("kimi", "<|tool_calls_section_begin|>"), ("kimi", "<|tool_call_section_begin|>"), ("kimi_k3", "<|open|>tools<|sep|>"),
        ("deepseek", "<｜tool▁calls▁begin｜>"), ("deepseek", "<|tool_calls_begin|>"), ("deepseek", "<｜DSML｜function_calls>"), ("deepseek", "<tool_calls>"),
        ("minimax_m2", "<minimax:tool_call>"), ("step3", "<｜tool_calls_begin｜>"), ("gemma4", "<|tool_call>"), ("gpt_oss", "<|channel|>commentary to="),
        ("llama", "<|python_tag|>{\"name\": \""), ("llama", "{\"name\": \""),
        ("mistral", "[TOOL_CALLS] [{\"name\": \""), ("mistral", "[TOOL_CALLS] "), ("mistral", "[TOOL_CALLS]Bash[ARGS]{\"command\": \""),
    ]

    /// The parser's work for `opening` and then `deltas` one-byte deltas; nil when any text
    /// came out before the end (the region did not stay open, and the test would prove nothing).
    private static func workInOpenRegion(family: String, opening: String, deltas: Int) -> Int? {
        var parser = makeTextToolCallParser(setting: family, model: "some-model", tools: tools)!
        var output = parser.feed(opening)
        for _ in 0..<deltas { output += parser.feed("x") }
        guard output.isEmpty else { return nil }
        let work = parser.work
        // Never closed: the region comes back as text at the end, whole.
        guard parser.finish() == [.text(opening + String(repeating: "x", count: deltas))] else { return nil }
        return work
    }

    @Test(arguments: openRegions)
    func aRegionHeldOpenIsReadOnce(family: String, opening: String) throws {
        let quarter = try #require(Self.workInOpenRegion(family: family, opening: opening, deltas: 6250))
        let whole = try #require(Self.workInOpenRegion(family: family, opening: opening, deltas: 25000))
        #expect(whole < 5 * quarter, "\(family) \(opening): \(quarter) bytes of work for 6,250 deltas, \(whole) for 25,000")
    }

    /// Texts of `count` markers (or regions) in a row, as a non-streamed answer brings them
    /// in one piece, and what they come out as.
    static let repeatedMarkup: [(label: String, unit: String)] = [
        ("code fences", "```"),
        ("unparsable regions", "<tool_call>x</tool_call>"),
        ("calls", "<tool_call>{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}</tool_call>"),
        ("Kimi sections", "<|tool_calls_section_begin|><|tool_call_begin|>functions.Bash:0<|tool_call_argument_begin|>{\"command\": \"ls\"}<|tool_call_end|><|tool_calls_section_end|>"),
        ("markers that open nothing", "[TOOL_CALLS]!"),
    ]

    private static func work(_ unit: String, count: Int, pieceSize: Int?) -> Int {
        var parser = makeTextToolCallParser(setting: "auto", model: "some-model", tools: tools)!
        let text = String(repeating: unit, count: count)
        if let pieceSize {
            let utf8 = Array(text.utf8)
            for start in stride(from: 0, to: utf8.count, by: pieceSize) {
                _ = parser.feed(String(decoding: utf8[start..<min(start + pieceSize, utf8.count)], as: UTF8.self))
            }
        } else {
            _ = parser.feed(text)
        }
        _ = parser.finish()
        return parser.work
    }

    @Test(arguments: repeatedMarkup)
    func manyMarkersInOnePieceCostOnceEach(label: String, unit: String) {
        for pieceSize in [nil, 7] as [Int?] {
            let quarter = Self.work(unit, count: 1000, pieceSize: pieceSize)
            let whole = Self.work(unit, count: 4000, pieceSize: pieceSize)
            #expect(whole < 5 * quarter, "\(label) in pieces of \(pieceSize.map(String.init) ?? "all"): \(quarter) bytes of work for 1,000, \(whole) for 4,000")
        }
    }

    /// The issue's non-streamed case: 878 KB of "```" (each fence copied the rest of the text
    /// again, 10.4 s of CPU). All of it comes back as text.
    @Test func fencesOfANonStreamedAnswer() {
        let text = String(repeating: "```", count: 878_000 / 3)
        var parser = makeTextToolCallParser(setting: "auto", model: "some-model", tools: tools)!
        let output = parser.feed(text) + parser.finish()
        #expect(output == [.text(text)])
        #expect(parser.work < 8 * text.utf8.count, "\(parser.work) bytes of work for \(text.utf8.count) bytes")
    }

    /// Parsing a complete region is linear too: in a Qwen3-Coder region whose parameters do
    /// not close, each value's search for `</parameter>` went to the end of the region.
    @Test func parametersThatDoNotCloseAreReadOnce() {
        let region = "<tool_call>\n<function=Bash>\n" + String(repeating: "<parameter=command>\nx\n", count: 20_000) + "</function>\n</tool_call>"
        let started = ContinuousClock.now
        let output = runTextToolCallParser([region], setting: "qwen3_coder", tools: tools)
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(output == [.toolCall(name: "Bash", argumentsJSON: #"{"command":"x"}"#)])
    }
}
