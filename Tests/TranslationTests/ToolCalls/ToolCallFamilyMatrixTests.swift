import JSON
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
            return "<|tool_calls_section_begin|>" + calls.enumerated().map { "<|tool_call_begin|>functions.\($1.0):\($0)<|tool_call_argument_begin|>\($1.1.jsonText)<|tool_call_end|>" }.joined() + "<|tool_calls_section_end|>"
        case .mistral:
            return "[TOOL_CALLS] [" + calls.map { "{\"name\": \"\($0.0)\", \"arguments\": \($0.1.jsonText)}" }.joined(separator: ", ") + "]"
        case .llama:
            return calls.map { "<|python_tag|>{\"name\": \"\($0.0)\", \"parameters\": \($0.1.jsonText)}" }.joined()
        case .gptOSS:
            return calls.map { "<|channel|>commentary to=functions.\($0.0) <|constrain|>json<|message|>\($0.1.jsonText)<|call|>" }.joined()
        }
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
            #expect(parse([text], setting: setting) == expected, "\(family) \(fixture.name) \(setting) whole")
            let characters = Array(text)
            for split in 1..<characters.count {
                let result = parse([String(characters[..<split]), String(characters[split...])], setting: setting)
                guard result == expected else {
                    Issue.record("\(family) \(fixture.name) \(setting), split at \(split): \(result)")
                    return
                }
            }
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
