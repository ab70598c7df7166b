import JSON
import TestSupport
import Testing

@testable import Translation

private let tools: [(name: String, inputSchema: JSONValue)] = [
    ("Bash", ["type": "object", "properties": ["command": ["type": "string"], "timeout": ["type": "integer"]]]),
    (
        "Edit",
        [
            "type": "object",
            "properties": [
                "path": ["type": "string"], "count": ["type": "integer"], "ratio": ["type": "number"],
                "all": ["type": "boolean"], "options": ["type": "object"], "lines": ["type": ["array", "null"]], "text": ["type": "string"],
            ],
        ]
    ),
]

/// Runs a parser over `pieces`; empty text dropped and adjacent text merged, so results
/// can be compared however the input was split.
func runTextToolCallParser(_ pieces: [String], setting: String, model: String = "some-model", tools: [(name: String, inputSchema: JSONValue)]) -> [InterceptedText] {
    var parser = makeTextToolCallParser(setting: setting, model: model, tools: tools)!
    var output: [InterceptedText] = []
    for piece in pieces { output += parser.feed(piece) }
    output += parser.finish()
    var merged: [InterceptedText] = []
    for item in output {
        if case .text(let text) = item, text.isEmpty { continue }
        if case .text(let next) = item, case .text(let previous)? = merged.last {
            merged[merged.count - 1] = .text(previous + next)
        } else {
            merged.append(item)
        }
    }
    return merged
}

private func run(_ pieces: [String], setting: String, model: String = "some-model") -> [InterceptedText] {
    runTextToolCallParser(pieces, setting: setting, model: model, tools: tools)
}

private func expectSameForEverySplit(_ text: String, setting: String, model: String = "some-model", _ expected: [InterceptedText], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(firstSplitThatDiffers(text, expected: expected) { run($0, setting: setting, model: model) } == nil, "\(setting)", sourceLocation: sourceLocation)
}

private func call(_ name: String, _ arguments: JSONValue) -> InterceptedText {
    .toolCall(name: name, argumentsJSON: arguments.jsonText)
}

@Suite struct TextToolCallParserTests {
    @Test func hermesJSONCalls() {
        expectSameForEverySplit(
            "Let me check.\n<tool_call>\n{\"name\": \"Bash\", \"arguments\": {\"command\": \"echo \\\"hi\\\" ☃\", \"timeout\": 5}}\n</tool_call>\n<tool_call>\n{\"name\": \"edit\", \"arguments\": {\"path\": \"/a\", \"options\": {\"nested\": [1, {\"x\": null}]}}}\n</tool_call>\nDone.",
            setting: "hermes",
            [.text("Let me check.\n"), call("Bash", ["command": "echo \"hi\" ☃", "timeout": 5]), call("Edit", ["path": "/a", "options": ["nested": [1, ["x": nil]]]]), .text("\nDone.")]
        )
    }

    @Test func qwen3CoderTypesValuesBySchema() {
        let text =
            "<tool_call>\n<function=Edit>\n<parameter=path>\n/src/a.swift\n</parameter>\n<parameter=count>\n3\n</parameter>\n<parameter=ratio>\n0.5\n</parameter>\n<parameter=all>\ntrue\n</parameter>\n<parameter=lines>\n[1, 2]\n</parameter>\n<parameter=text>\nline one\nline \"two\"\n</parameter>\n</function>\n</tool_call>"
        expectSameForEverySplit(text, setting: "qwen3_coder", [call("Edit", ["path": "/src/a.swift", "count": 3, "ratio": 0.5, "all": true, "lines": [1, 2], "text": "line one\nline \"two\""])])
    }

    @Test func glmArgumentPairs() {
        expectSameForEverySplit(
            "I'll run it.<tool_call>Bash\n<arg_key>command</arg_key>\n<arg_value>ls -la</arg_value>\n<arg_key>timeout</arg_key>\n<arg_value>30</arg_value>\n</tool_call>",
            setting: "glm", [.text("I'll run it."), call("Bash", ["command": "ls -la", "timeout": 30])]
        )
    }

    @Test func deepSeekV3FencedArguments() {
        expectSameForEverySplit(
            "Sure.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>Bash\n```json\n{\"command\": \"pwd\"}\n```<｜tool▁call▁end｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>Edit\n```json\n{\"path\": \"/x\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
            setting: "deepseek", [.text("Sure."), call("Bash", ["command": "pwd"]), call("Edit", ["path": "/x"])]
        )
    }

    @Test func deepSeekV31AndASCIISpellings() {
        expectSameForEverySplit(
            "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>Bash<｜tool▁sep｜>{\"command\": \"date\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
            setting: "deepseek", [call("Bash", ["command": "date"])]
        )
        expectSameForEverySplit(
            "<|tool_calls_begin|><|tool_call_begin|>Bash<|tool_sep|>{\"command\": \"date\"}<|tool_call_end|><|tool_calls_end|> after",
            setting: "deepseek", [call("Bash", ["command": "date"]), .text(" after")]
        )
    }

    @Test func kimiK2Sections() {
        expectSameForEverySplit(
            "Checking 日本.<|tool_calls_section_begin|><|tool_call_begin|>functions.Bash:0<|tool_call_argument_begin|>{\"command\": \"ls\"}<|tool_call_end|><|tool_call_begin|>functions.Edit:1<|tool_call_argument_begin|>{\"path\": \"/y\", \"count\": 2}<|tool_call_end|><|tool_calls_section_end|>",
            setting: "kimi", [.text("Checking 日本."), call("Bash", ["command": "ls"]), call("Edit", ["path": "/y", "count": 2])]
        )
    }

    @Test func mistralBothForms() {
        expectSameForEverySplit(
            "[TOOL_CALLS] [{\"name\": \"Bash\", \"arguments\": {\"command\": \"a]b\"}}, {\"name\": \"Edit\", \"arguments\": \"{\\\"path\\\": \\\"/z\\\"}\"}]",
            setting: "mistral", [call("Bash", ["command": "a]b"]), call("Edit", ["path": "/z"])]
        )
        expectSameForEverySplit("[TOOL_CALLS]Bash[ARGS]{\"command\": \"ls\"}", setting: "mistral", [call("Bash", ["command": "ls"])])
        // Found by the fuzzer: a marker followed by neither JSON nor NAME[ARGS] is text, and
        // does not swallow a JSON object further on (which depended on where the stream was cut).
        let notACall = "[TOOL_CALLS]<tool_call></tool_call>{\"name\": \"Bash\", \"arguments\": {}}hello [TOOL_CALLS]"
        expectSameForEverySplit(notACall, setting: "mistral", [.text(notACall)])
    }

    @Test func llamaPythonTag() {
        expectSameForEverySplit("<|python_tag|>{\"name\": \"Bash\", \"parameters\": {\"command\": \"uptime\"}}", setting: "llama", [call("Bash", ["command": "uptime"])])
    }

    @Test func gptOSSHarmony() {
        expectSameForEverySplit(
            "<|channel|>commentary to=functions.Bash <|constrain|>json<|message|>{\"command\": \"whoami\"}<|call|>",
            setting: "gpt_oss", [call("Bash", ["command": "whoami"])]
        )
    }

    @Test func autoRecognisesEveryFamilysMarkers() {
        expectSameForEverySplit("<tool_call>{\"name\": \"Bash\", \"arguments\": {\"command\": \"x\"}}</tool_call>", setting: "auto", model: "deepseek-ai/DeepSeek-V3", [call("Bash", ["command": "x"])])
        expectSameForEverySplit(
            "<|tool_calls_section_begin|><|tool_call_begin|>functions.Bash:0<|tool_call_argument_begin|>{}<|tool_call_end|><|tool_calls_section_end|>", setting: "auto", [call("Bash", [:])])
    }

    /// Found by the fuzzer: whitespace between a call and markup that turns out not to be a
    /// call stays, cut anywhere; between two calls it goes.
    @Test func whitespaceAfterACallStaysBeforeMarkupThatIsNotACall() {
        let call = "<tool_call>{\"name\": \"Bash\", \"arguments\": {}}</tool_call>"
        let broken = "<tool_call>{\"name\": \"Nope\", \"arguments\": {}}</tool_call>"
        expectSameForEverySplit(
            call + "\n" + broken + "\n" + call + "\n\n" + call + " ", setting: "hermes",
            [
                .toolCall(name: "Bash", argumentsJSON: "{}"), .text("\n" + broken + "\n"), .toolCall(name: "Bash", argumentsJSON: "{}"), .toolCall(name: "Bash", argumentsJSON: "{}"),
            ])
    }

    @Test func anUnterminatedCallComesBackAsText() {
        let text = "Trying <tool_call>\n{\"name\": \"Bash\", \"argu"
        expectSameForEverySplit(text, setting: "hermes", [.text(text)])
    }

    @Test func markersInsideCodeFencesAreText() {
        let text = "Models write:\n```\n<tool_call>\n{\"name\": \"Bash\", \"arguments\": {}}\n</tool_call>\n```\nThat is the format."
        expectSameForEverySplit(text, setting: "auto", [.text(text)])
    }

    @Test func undeclaredToolsAndBrokenCallsStayText() {
        let text = "<tool_call>{\"name\": \"Unknown\", \"arguments\": {}}</tool_call>"
        expectSameForEverySplit(text, setting: "hermes", [.text(text)])
    }

    @Test func plainTextFlowsOutAtOnce() {
        var parser = makeTextToolCallParser(setting: "auto", model: "m", tools: tools)!
        #expect(parser.feed("Hello, wor") == [.text("Hello, wor")])
        #expect(parser.feed("ld <tool") == [.text("ld ")])
        #expect(parser.feed("s> are fine") == [.text("<tools> are fine")])
    }

    @Test func selection() {
        #expect(makeTextToolCallParser(setting: "none", model: "m", tools: tools) == nil)
        #expect(makeTextToolCallParser(setting: "auto", model: "m", tools: []) == nil)
        #expect(ToolCallFamily.forModel("Qwen/Qwen3-Coder-480B-A35B-Instruct") == .qwen3Coder)
        #expect(ToolCallFamily.forModel("moonshotai/Kimi-K2-Instruct") == .kimi)
        #expect(ToolCallFamily.forModel("zai-org/GLM-4.6") == .glm)
        #expect(ToolCallFamily.forModel("deepseek-ai/DeepSeek-V3.1") == .deepseek)
        // The examples of docs/tool-calls.md.
        let examples: [(String, ToolCallFamily?)] = [
            ("NousResearch/Hermes-4-405B-FP8", .hermes), ("NousResearch/Hermes-4-70B", .hermes), ("baidu/ERNIE-4.5-300B-A47B-PT", .hermes),
            ("Qwen/Qwen3-235B-A22B-Instruct-2507", .qwen), ("Qwen/Qwen3-Next-80B-A3B-Instruct", .qwen), ("Qwen/Qwen2.5-72B-Instruct", .qwen),
            ("Qwen/Qwen3.5-397B-A17B", .qwen3Coder), ("Qwen/Qwen3.6-35B-A3B", .qwen3Coder), ("zai-org/GLM-5", .glm), ("zai-org/GLM-4.7-FP8", .glm),
            ("deepseek-ai/DeepSeek-V4", .deepseek), ("moonshotai/Kimi-K2-Thinking", .kimi), ("moonshotai/Kimi-K2.6", .kimi), ("moonshotai/Kimi-K3", .kimiK3),
            ("MiniMaxAI/MiniMax-M2.5", .minimax), ("ByteDance-Seed/Seed-OSS-36B-Instruct", .seedOSS), ("meituan-longcat/LongCat-Flash-Thinking", .longcat),
            ("stepfun-ai/step3", .step3), ("stepfun-ai/Step-3.5-Flash", nil), ("google/gemma-4-31B-it", .gemma4), ("openai/gpt-oss-20b", .gptOSS),
            ("unsloth/gemma-3-27b-it", nil),
        ]
        for (model, family) in examples {
            #expect(ToolCallFamily.forModel(model) == family, "\(model)")
        }
        #expect(ToolCallFamily(setting: "MiniMax-M2") == .minimax)
        #expect(ToolCallFamily(setting: "glm47") == .glm)
        #expect(ToolCallFamily(setting: "auto") == nil)
    }
}
