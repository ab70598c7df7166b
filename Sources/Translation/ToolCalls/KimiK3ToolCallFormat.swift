import JSON

/// Kimi K3's XTML tools channel:
/// ```
/// <|open|>tools<|sep|>
/// <|open|>call tool="NAME" index="1"<|sep|>
/// <|open|>argument key="KEY" type="string"<|sep|>raw text<|close|>argument<|sep|>
/// <|close|>call<|sep|>
/// <|close|>tools<|sep|>
/// ```
/// `type="string"` values (the default) are raw text; other types are JSON, kept as text when
/// they do not parse. Attribute values undo the template's `&quot;`/`&amp;` escaping.
struct KimiK3ToolCallFormat: TextToolCallFormat {
    let startMarkers = ["<|open|>tools<|sep|>"]
    private static let closer = MarkerTable(["<|close|>tools<|sep|>"])

    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index? {
        end(ofFirst: Self.closer, in: text, reading: &reading)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        var rest = inside(region, between: "<|open|>tools<|sep|>", and: "<|close|>tools<|sep|>")
        var calls: [ParsedToolCall] = []
        while let open = rest.firstRange(of: "<|open|>call") {
            guard rest[..<open.lowerBound].trimmedWhitespace.isEmpty,
                let header = rest[open.upperBound...].firstRange(of: "<|sep|>"),
                let written = Self.attribute("tool", in: rest[open.upperBound..<header.lowerBound]),
                let name = tools.resolve(written),
                let close = rest[header.upperBound...].firstRange(of: "<|close|>call<|sep|>"),
                let arguments = Self.arguments(rest[header.upperBound..<close.lowerBound], tool: name, tools: tools)
            else { return nil }
            calls.append(ParsedToolCall(name: name, arguments: arguments))
            rest = rest[close.upperBound...]
        }
        return calls.isEmpty || !rest.trimmedWhitespace.isEmpty ? nil : calls
    }

    private static func arguments(_ body: Substring, tool: String, tools: DeclaredTools) -> JSONValue? {
        var arguments = JSONObject()
        var rest = body
        while let open = rest.firstRange(of: "<|open|>argument") {
            guard rest[..<open.lowerBound].trimmedWhitespace.isEmpty,
                let header = rest[open.upperBound...].firstRange(of: "<|sep|>"),
                let key = attribute("key", in: rest[open.upperBound..<header.lowerBound]),
                let close = rest[header.upperBound...].firstRange(of: "<|close|>argument<|sep|>")
            else { return nil }
            let text = String(rest[header.upperBound..<close.lowerBound])
            let type = attribute("type", in: rest[open.upperBound..<header.lowerBound]) ?? "string"
            arguments[key] = type == "string" ? JSONValue(text) : ((try? JSONValue(parsing: text)) ?? JSONValue(text))
            rest = rest[close.upperBound...]
        }
        return rest.trimmedWhitespace.isEmpty ? .object(arguments) : nil
    }

    private static func attribute(_ name: String, in attributes: Substring) -> String? {
        InvokeMarkup.attribute(name, in: attributes).map { $0.replacing("&quot;", with: "\"").replacing("&amp;", with: "&") }
    }
}

/// Kimi K3's response-channel wrappers around its answer text
/// (`<|open|>response<|sep|>…<|close|>response<|sep|>`, `<|close|>message<|sep|>`): template
/// syntax, dropped as the engines drop it, leaving the answer.
struct KimiK3ResponseWrapperFormat: TextToolCallFormat {
    let startMarkers = ["<|open|>response<|sep|>", "<|close|>response<|sep|>", "<|close|>message<|sep|>"]

    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index? {
        startMarkers.first { starts(text, with: $0) }.map { after($0, in: text) }
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        []
    }
}
