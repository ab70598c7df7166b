import JSON

/// DeepSeek V3.2's DSML markup (the released V3.2, not V3.2-Exp, which writes the V3.1 form),
/// and DeepSeek V4's, which names the outer tag `tool_calls`:
/// ```
/// <｜DSML｜function_calls>            (V4: <｜DSML｜tool_calls>)
/// <｜DSML｜invoke name="NAME">
/// <｜DSML｜parameter name="KEY" string="true">VALUE</｜DSML｜parameter>
/// </｜DSML｜invoke>
/// </｜DSML｜function_calls>
/// ```
/// An invoke's body may also be one JSON object. `string="true"` values are kept as written;
/// other values are JSON, read leniently, else typed by the tool's schema. With
/// `acceptsPlainTags` the same markup without `｜DSML｜` is read too; only the DeepSeek family
/// turns that on, since `<function_calls>` in another model's text is more likely prose.
struct DSMLToolCallFormat: TextToolCallFormat {
    let acceptsPlainTags: Bool

    private static let sections = ["function_calls", "tool_calls"]
    /// Each opening tag and the closing tag that ends its region.
    private static let spellings: [(open: String, closer: MarkerTable)] = sections.flatMap { section in
        ["<｜DSML｜\(section)>", "<\(section)>"].map { ($0, MarkerTable([$0.replacing("<", with: "</")])) }
    }

    var startMarkers: [String] {
        Self.sections.map { "<｜DSML｜\($0)>" } + (acceptsPlainTags ? Self.sections.map { "<\($0)>" } : [])
    }

    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index? {
        // The region closes with the tag that opened it.
        guard let spelling = Self.spellings.first(where: { starts(text, with: $0.open) }) else { return nil }
        return end(ofFirst: spelling.closer, in: text, reading: &reading)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        let text = String(region).replacing("｜DSML｜", with: "")
        guard let open = text.firstIndex(of: ">") else { return nil }
        var body = text[text.index(after: open)...]
        for section in Self.sections where body.hasSuffix("</\(section)>") {
            body = body.dropLast("</\(section)>".count)
        }
        return Self.markup.calls(in: body, tools: tools)
    }

    private static let markup = InvokeMarkup(prefix: "", acceptsJSONBody: true) { text, attributes, tool, key, tools in
        if InvokeMarkup.attribute("string", in: attributes) == "true" { return JSONValue(String(text)) }
        return JSONValue.lenient(String(text)) ?? tools.typedValue(String(text), tool: tool, parameter: key)
    }
}

/// MiniMax-M2, M2.1 and M2.5:
/// ```
/// <minimax:tool_call>
/// <invoke name="NAME">
/// <parameter name="KEY">VALUE</parameter>
/// </invoke>
/// </minimax:tool_call>
/// ```
/// Newlines around a value are markup; values are typed by the tool's schema.
struct MiniMaxToolCallFormat: TextToolCallFormat {
    let startMarkers = ["<minimax:tool_call>"]
    private static let closer = MarkerTable(["</minimax:tool_call>"])

    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index? {
        end(ofFirst: Self.closer, in: text, reading: &reading)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        Self.markup.calls(in: inside(region, between: "<minimax:tool_call>", and: "</minimax:tool_call>"), tools: tools)
    }

    private static let markup = InvokeMarkup(prefix: "", acceptsJSONBody: false) { text, _, tool, key, tools in
        tools.typedValue(String(text.trimmingNewlines), tool: tool, parameter: key)
    }
}

/// Step-3: steptml invokes inside DeepSeek-like section tokens, spelled with ASCII underscores:
/// `<｜tool_calls_begin｜><｜tool_call_begin｜>function<｜tool_sep｜><steptml:invoke name="N">
/// <steptml:parameter name="K">V</steptml:parameter></steptml:invoke><｜tool_call_end｜><｜tool_calls_end｜>`.
struct Step3ToolCallFormat: TextToolCallFormat {
    let startMarkers = ["<｜tool_calls_begin｜>"]
    private static let closer = MarkerTable(["<｜tool_calls_end｜>"])

    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index? {
        end(ofFirst: Self.closer, in: text, reading: &reading)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        let body = inside(region, between: "<｜tool_calls_begin｜>", and: "<｜tool_calls_end｜>")
        return Self.markup.calls(in: body, tools: tools, between: ["<｜tool_call_begin｜>", "function<｜tool_sep｜>", "<｜tool_call_end｜>"])
    }

    private static let markup = InvokeMarkup(prefix: "steptml:", acceptsJSONBody: false) { text, _, tool, key, tools in
        // As the engines read it: a value whose schema type is known and not string is JSON.
        let value = text.trimmedWhitespace
        guard let type = tools.parameterType(tool: tool, parameter: key), type != "string" else { return JSONValue(value) }
        return JSONValue.lenient(value) ?? tools.typedValue(value, tool: tool, parameter: key)
    }
}
