import JSON

/// The `<invoke name="N"><parameter name="K">V</parameter></invoke>` grammar that DeepSeek's
/// DSML, MiniMax-M2 and Step-3 (`steptml:`) share, with the tag prefix and the reading of
/// values left to each format.
struct InvokeMarkup: Sendable {
    /// Put before `invoke` and `parameter` in every tag: "" or "steptml:".
    let prefix: String
    /// A JSON object as an invoke's whole body is the arguments (DSML allows it).
    let acceptsJSONBody: Bool
    /// Reads one value: its text, the parameter tag's attributes, the tool and key.
    let value: @Sendable (_ text: Substring, _ attributes: Substring, _ tool: String, _ key: String, _ tools: DeclaredTools) -> JSONValue

    /// The invokes in `text`; nil when one is malformed, names an undeclared tool, or there is
    /// anything but whitespace (or `between`, the markup allowed between invokes) around them.
    func calls(in text: Substring, tools: DeclaredTools, between: [String] = []) -> [ParsedToolCall]? {
        let open = "<\(prefix)invoke", close = "</\(prefix)invoke>"
        var calls: [ParsedToolCall] = []
        var rest = text
        while let start = rest.firstRange(of: open) {
            guard Self.onlySpace(rest[..<start.lowerBound], allowing: between),
                let header = rest[start.upperBound...].firstIndex(of: ">"),
                let written = Self.attribute("name", in: rest[start.upperBound..<header]),
                let name = tools.resolve(written),
                let end = rest[header...].firstRange(of: close),
                let arguments = arguments(rest[rest.index(after: header)..<end.lowerBound], tool: name, tools: tools)
            else { return nil }
            calls.append(ParsedToolCall(name: name, arguments: arguments))
            rest = rest[end.upperBound...]
        }
        guard !calls.isEmpty, Self.onlySpace(rest, allowing: between) else { return nil }
        return calls
    }

    private func arguments(_ body: Substring, tool: String, tools: DeclaredTools) -> JSONValue? {
        let trimmed = body.trimmedWhitespace
        if acceptsJSONBody && trimmed.hasPrefix("{") {
            guard let value = JSONValue.lenient(trimmed), value.objectValue != nil else { return nil }
            return value
        }
        let open = "<\(prefix)parameter", close = "</\(prefix)parameter>"
        var arguments = JSONObject()
        var rest = body
        while let start = rest.firstRange(of: open) {
            guard rest[..<start.lowerBound].trimmedWhitespace.isEmpty,
                let header = rest[start.upperBound...].firstIndex(of: ">"),
                let key = Self.attribute("name", in: rest[start.upperBound..<header]),
                let end = rest[header...].firstRange(of: close)
            else { return nil }
            arguments[key] = value(rest[rest.index(after: header)..<end.lowerBound], rest[start.upperBound..<header], tool, key, tools)
            rest = rest[end.upperBound...]
        }
        return rest.trimmedWhitespace.isEmpty ? .object(arguments) : nil
    }

    private static func onlySpace(_ text: Substring, allowing markup: [String]) -> Bool {
        var text = String(text)
        for piece in markup { text = text.replacing(piece, with: "") }
        return text.allSatisfy(\.isWhitespace)
    }

    /// The value of `name="..."` among a tag's attributes.
    static func attribute(_ name: String, in attributes: Substring) -> String? {
        var rest = attributes
        while let start = rest.firstRange(of: name + "=\"") {
            // `name` must start the attribute: `tool_name="x"` is not `name="x"`.
            if start.lowerBound == rest.startIndex || rest[rest.index(before: start.lowerBound)].isWhitespace {
                let value = rest[start.upperBound...]
                guard let end = value.firstIndex(of: "\"") else { return nil }
                return String(value[..<end])
            }
            rest = rest[start.upperBound...]
        }
        return nil
    }
}
