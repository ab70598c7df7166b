import JSON
import TestSupport
import Testing

@testable import Translation

/// DeepSeek V3.2's DSML markup, whole and split at every character boundary.
@Suite struct DSMLToolCallFormatTests {
    static let tools: [(name: String, inputSchema: JSONValue)] = [
        ("Bash", ["type": "object", "properties": ["command": ["type": "string"], "timeout": ["type": "integer"]]]),
        ("Edit", ["type": "object", "properties": ["path": ["type": "string"], "options": ["type": "object"], "count": ["type": "integer"]]]),
    ]

    private func run(_ pieces: [String], setting: String = "deepseek", model: String = "deepseek-ai/DeepSeek-V3.2") -> [InterceptedText] {
        runTextToolCallParser(pieces, setting: setting, model: model, tools: Self.tools)
    }

    private func expectEverySplit(
        _ text: String, setting: String = "deepseek", model: String = "deepseek-ai/DeepSeek-V3.2", _ expected: [InterceptedText], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(firstSplitThatDiffers(text, expected: expected) { run($0, setting: setting, model: model) } == nil, "\(setting)", sourceLocation: sourceLocation)
    }

    private func call(_ name: String, _ arguments: JSONValue) -> InterceptedText {
        .toolCall(name: name, argumentsJSON: arguments.jsonText)
    }

    @Test func parameterTagsKeepStringsAndReadOtherValuesAsJSON() {
        let text =
            "Let me look 👀.\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"bash\">\n<｜DSML｜parameter name=\"command\" string=\"true\">echo \"hi\"\nls 日本</｜DSML｜parameter>\n<｜DSML｜parameter name=\"timeout\" string=\"false\">30</｜DSML｜parameter>\n</｜DSML｜invoke>\n<｜DSML｜invoke name=\"Edit\">\n<｜DSML｜parameter name=\"options\" string=\"false\">{\"nested\": [1, {\"x\": null}]}</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls> Done."
        expectEverySplit(
            text,
            [
                .text("Let me look 👀.\n\n"),
                call("Bash", ["command": "echo \"hi\"\nls 日本", "timeout": 30]),
                call("Edit", ["options": ["nested": [1, ["x": nil]]]]),
                .text(" Done."),
            ])
    }

    @Test func aJSONBodyIsTheArguments() {
        expectEverySplit(
            "<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"Edit\">\n{\"path\": \"/a\", \"count\": 2}\n</｜DSML｜invoke>\n</｜DSML｜function_calls>",
            [call("Edit", ["path": "/a", "count": 2])]
        )
    }

    @Test func plainTagsOnlyForTheDeepSeekFamily() {
        let text = "<function_calls>\n<invoke name=\"Bash\">\n<parameter name=\"command\" string=\"true\">pwd</parameter>\n</invoke>\n</function_calls>"
        expectEverySplit(text, [call("Bash", ["command": "pwd"])])
        expectEverySplit(text, setting: "auto", model: "deepseek-ai/DeepSeek-V3.2", [call("Bash", ["command": "pwd"])])
        #expect(run([text], setting: "auto", model: "zai-org/GLM-4.6") == [.text(text)])
    }

    @Test func autoRecognisesDSMLForAnyModel() {
        let text = "<｜DSML｜function_calls><｜DSML｜invoke name=\"Bash\"><｜DSML｜parameter name=\"command\" string=\"true\">date</｜DSML｜parameter></｜DSML｜invoke></｜DSML｜function_calls>"
        expectEverySplit(text, setting: "auto", model: "some-model", [call("Bash", ["command": "date"])])
    }

    @Test func unterminatedUndeclaredOrFencedMarkupIsText() {
        let cut = "Text <｜DSML｜function_calls>\n<｜DSML｜invoke name=\"Bash\">\n<｜DSML｜parameter name=\"command\" string=\"true\">da"
        #expect(run([cut]) == [.text(cut)])
        let undeclared = "<｜DSML｜function_calls><｜DSML｜invoke name=\"Delete\">{}</｜DSML｜invoke></｜DSML｜function_calls>"
        #expect(run([undeclared]) == [.text(undeclared)])
        let fenced = "Format:\n```\n<｜DSML｜function_calls><｜DSML｜invoke name=\"Bash\">{}</｜DSML｜invoke></｜DSML｜function_calls>\n```\nEnd."
        #expect(run([fenced]) == [.text(fenced)])
    }
}

/// Qwen3-Coder markup whose `</parameter>` tags were dropped, as sglang also accepts.
@Suite struct QwenCoderMissingParameterCloseTests {
    static let tools: [(name: String, inputSchema: JSONValue)] = [
        ("Edit", ["type": "object", "properties": ["path": ["type": "string"], "count": ["type": "integer"], "text": ["type": "string"]]])
    ]

    @Test func theNextParameterOrTheFunctionEndEndsTheValue() {
        let text =
            "Edit:\n<tool_call>\n<function=Edit>\n<parameter=path>\n/a\n<parameter=count>\n3\n</parameter>\n<parameter=text>\nx </function> y\n</parameter>\n</function>\n</tool_call>\n<tool_call>\n<function=Edit>\n<parameter=path>\n/b\n</function>\n</tool_call>"
        let expected: [InterceptedText] = [
            .text("Edit:\n"),
            .toolCall(name: "Edit", argumentsJSON: (["path": "/a", "count": 3, "text": "x </function> y"] as JSONValue).jsonText),
            .toolCall(name: "Edit", argumentsJSON: (["path": "/b"] as JSONValue).jsonText),
        ]
        #expect(runTextToolCallParser([text], setting: "qwen3_coder", tools: Self.tools) == expected)
        let differing = firstSplitThatDiffers(text, expected: expected) { runTextToolCallParser($0, setting: "auto", model: "Qwen/Qwen3-Coder-480B", tools: Self.tools) }
        #expect(differing == nil)
    }
}
