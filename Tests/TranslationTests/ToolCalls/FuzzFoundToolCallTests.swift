import JSON
import TestSupport
import Testing
import Translation

/// Inputs the tool-calls fuzz target found, kept as regression tests: the pieces exactly as
/// the fuzzer fed them, and the joined text whole and cut at every scalar.
@Suite struct FuzzFoundToolCallTests {
    private static let tools: [(name: String, inputSchema: JSONValue)] = [
        ("Read", ["type": "object", "properties": ["path": ["type": "string"]]]),
        ("Write", ["type": "object", "properties": ["path": ["type": "string"], "content": ["type": "string"], "mode": ["type": "integer"]]]),
    ]

    /// Kimi-K2 under `auto`: Mistral's marker followed by neither JSON nor NAME[ARGS] used to
    /// run to the end of what had arrived, so the whole text swallowed (and called) a JSON
    /// object further on while a split one did not. No call is in this text.
    @Test func mistralMarkerBeforeKimiMarkupIsText() {
        let pieces = [
            "\u{FFFD}pto", "[TOOL_CALLS]", "<|tool_call_argument_begin|>", "<｜DSML｜parameter name=\"path\" string=\"true\">", "<|tool_call_end|>", ",",
            "{\"name\": \"Write\", \"parameters\": {\"path\": \"/b\", \"content\": \"x\"}}", "functions.Read:0", "<|tool_call_argument_begin|>", "<think>",
            "<|tool_calls_section_end|>", ":", "hello ", "<|tool_call_end|>", "<|tool_call_argument_begin|>", "<｜tool▁sep｜>", "<|tool_call_begin|>", "hello ",
        ]
        let text = pieces.joined()
        let run = { (pieces: [String]) in runTextToolCallParser(pieces, setting: "auto", model: "moonshotai/Kimi-K2", tools: Self.tools) }
        #expect(run(pieces) == [.text(text)])
        #expect(firstSplitThatDiffers(text, expected: [InterceptedText.text(text)], run: run) == nil, "Kimi-K2 auto")
    }
}
