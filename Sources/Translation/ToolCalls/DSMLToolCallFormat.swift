import JSON

/// DeepSeek V3.2's DSML markup (the released V3.2, not V3.2-Exp, which writes the V3.1 form):
/// ```
/// <｜DSML｜function_calls>
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

    var startMarkers: [String] {
        acceptsPlainTags ? ["<｜DSML｜function_calls>", "<function_calls>"] : ["<｜DSML｜function_calls>"]
    }

    func regionEnd(in text: Substring) -> String.Index? {
        end(of: "</｜DSML｜function_calls>", in: text) ?? end(of: "</function_calls>", in: text)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        let text = String(region).replacing("｜DSML｜", with: "")
        var calls: [ParsedToolCall] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "<invoke") {
            guard let header = rest[open.upperBound...].firstIndex(of: ">"),
                  let written = Self.attribute("name", in: rest[open.upperBound..<header]),
                  let name = tools.resolve(written),
                  let close = rest[header...].firstRange(of: "</invoke>") else { return nil }
            let body = rest[rest.index(after: header)..<close.lowerBound]
            guard let arguments = Self.arguments(body, tool: name, tools: tools) else { return nil }
            calls.append(ParsedToolCall(name: name, arguments: arguments))
            rest = rest[close.upperBound...]
        }
        return calls.isEmpty ? nil : calls
    }

    private static func arguments(_ body: Substring, tool: String, tools: DeclaredTools) -> JSONValue? {
        let trimmed = body.trimmedWhitespace
        if trimmed.hasPrefix("{") {
            guard let value = JSONValue.lenient(trimmed), value.objectValue != nil else { return nil }
            return value
        }
        var arguments = JSONObject()
        var rest = body
        while let open = rest.firstRange(of: "<parameter") {
            guard let header = rest[open.upperBound...].firstIndex(of: ">"),
                  let key = attribute("name", in: rest[open.upperBound..<header]),
                  let close = rest[header...].firstRange(of: "</parameter>") else { return nil }
            let value = String(rest[rest.index(after: header)..<close.lowerBound])
            if attribute("string", in: rest[open.upperBound..<header]) == "true" {
                arguments[key] = JSONValue(value)
            } else if let parsed = JSONValue.lenient(value) {
                arguments[key] = parsed
            } else {
                arguments[key] = tools.typedValue(value, tool: tool, parameter: key)
            }
            rest = rest[close.upperBound...]
        }
        // Anything but whitespace outside the parameter tags means this is not DSML.
        return rest.trimmedWhitespace.isEmpty ? .object(arguments) : nil
    }

    /// The value of `name="..."` among a tag's attributes.
    private static func attribute(_ name: String, in attributes: Substring) -> String? {
        guard let start = attributes.firstRange(of: name + "=\"") else { return nil }
        let value = attributes[start.upperBound...]
        guard let end = value.firstIndex(of: "\"") else { return nil }
        return String(value[..<end])
    }
}
