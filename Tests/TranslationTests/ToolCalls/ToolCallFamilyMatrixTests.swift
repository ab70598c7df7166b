import JSON
import TestSupport
import Testing

@testable import Translation

/// Every family against the same cases: its own markup is rendered from calls, then parsed
/// back whole and split at every character boundary.
@Suite struct ToolCallFamilyMatrixTests {
    static let tools: [(name: String, inputSchema: JSONValue)] = [
        ("Write", ["type": "object", "properties": ["path": ["type": "string"], "content": ["type": "string"], "mode": ["type": "integer"], "meta": ["type": "object"]]]),
        ("Read", ["type": "object", "properties": ["path": ["type": "string"]]]),
    ]

    /// Each family's markup for a list of calls.
    static func render(_ family: ToolCallFamily, _ calls: [(String, JSONValue)]) -> String {
        func xmlValue(_ value: JSONValue) -> String { value.stringValue ?? value.jsonText }
        switch family {
        case .hermes, .qwen:
            return calls.map { "<tool_call>\n{\"name\": \"\($0.0)\", \"arguments\": \($0.1.jsonText)}\n</tool_call>" }.joined(separator: "\n")
        case .qwen3Coder:
            return calls.map { name, arguments in
                "<tool_call>\n<function=\(name)>\n" + arguments.objectValue!.map { "<parameter=\($0.key)>\n\(xmlValue($0.value))\n</parameter>\n" }.joined() + "</function>\n</tool_call>"
            }.joined(separator: "\n")
        case .glm:
            return calls.map { name, arguments in
                "<tool_call>\(name)\n" + arguments.objectValue!.map { "<arg_key>\($0.key)</arg_key>\n<arg_value>\(xmlValue($0.value))</arg_value>\n" }.joined() + "</tool_call>"
            }.joined(separator: "\n")
        case .deepseek:
            return "<｜tool▁calls▁begin｜>" + calls.map { "<｜tool▁call▁begin｜>\($0.0)<｜tool▁sep｜>\($0.1.jsonText)<｜tool▁call▁end｜>" }.joined() + "<｜tool▁calls▁end｜>"
        case .kimi:
            return "<|tool_calls_section_begin|>" + calls.enumerated().map { "<|tool_call_begin|>functions.\($1.0):\($0)<|tool_call_argument_begin|>\($1.1.jsonText)<|tool_call_end|>" }.joined()
                + "<|tool_calls_section_end|>"
        case .mistral:
            return "[TOOL_CALLS] [" + calls.map { "{\"name\": \"\($0.0)\", \"arguments\": \($0.1.jsonText)}" }.joined(separator: ", ") + "]"
        case .llama:
            return calls.map { "<|python_tag|>{\"name\": \"\($0.0)\", \"parameters\": \($0.1.jsonText)}" }.joined()
        case .gptOSS:
            return calls.map { "<|channel|>commentary to=functions.\($0.0) <|constrain|>json<|message|>\($0.1.jsonText)<|call|>" }.joined()
        case .minimax:
            return "<minimax:tool_call>\n"
                + calls.map { name, arguments in
                    "<invoke name=\"\(name)\">\n" + arguments.objectValue!.map { "<parameter name=\"\($0.key)\">\(xmlValue($0.value))</parameter>\n" }.joined() + "</invoke>\n"
                }.joined() + "</minimax:tool_call>"
        case .seedOSS:
            return "<seed:tool_call>\n"
                + calls.map { name, arguments in
                    "<function=\(name)>\n" + arguments.objectValue!.map { "<parameter=\($0.key)>\n\(xmlValue($0.value))\n</parameter>\n" }.joined() + "</function>\n"
                }.joined() + "</seed:tool_call>"
        case .kimiK3:
            return "<|open|>tools<|sep|>\n"
                + calls.enumerated().map { index, call in
                    "<|open|>call tool=\"\(call.0)\" index=\"\(index + 1)\"<|sep|>\n"
                        + call.1.objectValue!.map { key, value in
                            "<|open|>argument key=\"\(key)\" type=\"\(value.stringValue == nil ? "object" : "string")\"<|sep|>\(xmlValue(value))<|close|>argument<|sep|>\n"
                        }.joined() + "<|close|>call<|sep|>\n"
                }.joined() + "<|close|>tools<|sep|>"
        case .longcat:
            return calls.map { name, arguments in
                "<longcat_tool_call>\(name)\n" + arguments.objectValue!.map { "<longcat_arg_key>\($0.key)</longcat_arg_key>\n<longcat_arg_value>\(xmlValue($0.value))</longcat_arg_value>\n" }.joined()
                    + "</longcat_tool_call>"
            }.joined()
        case .step3:
            return "<｜tool_calls_begin｜>\n"
                + calls.map { name, arguments in
                    "<｜tool_call_begin｜>function<｜tool_sep｜><steptml:invoke name=\"\(name)\">\n"
                        + arguments.objectValue!.map { "<steptml:parameter name=\"\($0.key)\">\(xmlValue($0.value))</steptml:parameter>\n" }.joined() + "</steptml:invoke><｜tool_call_end｜>\n"
                }.joined() + "<｜tool_calls_end｜>"
        case .gemma4:
            return calls.map { "<|tool_call>call:\($0.0)\(gemmaValue($0.1))<tool_call|>" }.joined()
        }
    }

    /// A value in Gemma 4's notation: bare keys, strings between `<|"|>`.
    static func gemmaValue(_ value: JSONValue) -> String {
        if let text = value.stringValue { return "<|\"|>\(text)<|\"|>" }
        if let object = value.objectValue { return "{" + object.map { "\($0.key):\(gemmaValue($0.value))" }.joined(separator: ",") + "}" }
        if let array = value.arrayValue { return "[" + array.map(gemmaValue).joined(separator: ",") + "]" }
        return value.jsonText
    }

    static let cases: [(name: String, calls: [(String, JSONValue)])] = [
        ("one call", [("Read", ["path": "/etc/hosts"])]),
        ("several calls", [("Read", ["path": "/a"]), ("Write", ["path": "/b", "content": "x"])]),
        ("unicode, escaped quotes, newlines", [("Write", ["path": "/ü/日本.txt", "content": "say \"hi\" 👋\nline 2\n\tindented"])]),
        ("schema-typed and nested values", [("Write", ["path": "/c", "mode": 420, "meta": ["tags": ["a", "b"], "deep": ["n": 1]]])]),
    ]

    static let arguments: [(ToolCallFamily, Int)] = ToolCallFamily.allCases.flatMap { family in cases.indices.map { (family, $0) } }

    @Test(arguments: arguments)
    func familyParsesItsOwnMarkup(family: ToolCallFamily, caseIndex: Int) {
        let fixture = Self.cases[caseIndex]
        let markup = Self.render(family, fixture.calls)
        let text = "Before the call. " + markup + " After it."
        let expected: [InterceptedText] = [.text("Before the call. ")] + fixture.calls.map { .toolCall(name: $0.0, argumentsJSON: $0.1.jsonText) } + [.text(" After it.")]
        for setting in [family.rawValue, "auto"] {
            #expect(firstSplitThatDiffers(text, expected: expected) { parse($0, setting: setting) } == nil, "\(family) \(fixture.name) \(setting)")
        }
    }

    @Test(arguments: ToolCallFamily.allCases)
    func anUnterminatedCallIsText(family: ToolCallFamily) {
        let markup = Self.render(family, [("Read", ["path": "/a"])])
        let cut = "Text " + String(markup.prefix(markup.count - 3))
        let result = parse([cut], setting: family.rawValue)
        // Either nothing is lost (all of it comes back as text) or the call was complete
        // enough to recover; never a half-eaten mix.
        let recovered: [InterceptedText] = [.text("Text "), .toolCall(name: "Read", argumentsJSON: #"{"path":"/a"}"#)]
        #expect(result == [.text(cut)] || result == recovered, "\(family): \(result)")
    }

    @Test(arguments: ToolCallFamily.allCases)
    func markupInsideACodeFenceIsText(family: ToolCallFamily) {
        let text = "Format:\n```\n" + Self.render(family, [("Read", ["path": "/a"])]) + "\n```\nEnd."
        #expect(parse([text], setting: family.rawValue) == [.text(text)])
    }

    private func parse(_ pieces: [String], setting: String) -> [InterceptedText] {
        runTextToolCallParser(pieces, setting: setting, tools: Self.tools)
    }
}
