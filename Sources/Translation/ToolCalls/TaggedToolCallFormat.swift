import JSON

/// One call per tag pair, read by what is inside:
/// - Hermes, Qwen2.5, Qwen3, ERNIE 4.5, LongCat: `{"name": ..., "arguments": {...}}`
/// - Qwen3-Coder, Qwen3.5, Seed-OSS: `<function=NAME>\n<parameter=KEY>\nVALUE\n</parameter>\n</function>`
/// - GLM-4.5 to GLM-5, LongCat's newer form: `NAME\n<arg_key>K</arg_key>\n<arg_value>V</arg_value>`
///   (GLM-4.7 drops the newline after the name; `NAME` alone is a call without arguments)
/// XML-style values are typed by the tool's input schema.
struct TaggedToolCallFormat: TextToolCallFormat {
    /// The tag pair: `tool_call` (Hermes, Qwen, GLM), `seed:tool_call`, `longcat_tool_call`.
    let tag: String
    /// The key/value tags of the GLM-style body: `arg` or `longcat_arg`.
    let argumentTag: String
    private let open: String
    private let close: String
    private let closer: MarkerTable

    init(tag: String = "tool_call", argumentTag: String = "arg") {
        self.tag = tag
        self.argumentTag = argumentTag
        open = "<\(tag)>"
        close = "</\(tag)>"
        closer = MarkerTable([close])
    }

    var startMarkers: [String] { [open] }

    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index? {
        end(ofFirst: closer, in: text, reading: &reading)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        guard region.hasPrefix(open) else { return nil }
        let inner = (region.firstRange(of: close).map { region[open.endIndex(in: region)..<$0.lowerBound] } ?? region.dropFirst(open.count)).trimmedWhitespace
        if inner.hasPrefix("{") {
            guard let value = JSONValue.lenient(inner), let call = call(fromJSONObject: value, tools: tools) else { return nil }
            return [call]
        }
        if inner.hasPrefix("<function=") { return functionCalls(Substring(inner), tools: tools) }
        return keyValueCall(Substring(inner), tools: tools).map { [$0] }
    }

    /// One or more `<function=NAME>…</function>` (Seed-OSS may put several in one tag pair).
    private func functionCalls(_ inner: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        var calls: [ParsedToolCall] = []
        var rest = inner
        while rest.hasPrefix("<function=") {
            guard let (call, after) = functionCall(rest, tools: tools) else { return nil }
            calls.append(call)
            rest = after.drop(while: \.isWhitespace)
        }
        return calls.isEmpty || !rest.isEmpty ? nil : calls
    }

    /// The call that `text` starts with, and the text after its `</function>`.
    private func functionCall(_ text: Substring, tools: DeclaredTools) -> (ParsedToolCall, Substring)? {
        guard let nameEnd = text.firstIndex(of: ">") else { return nil }
        let written = String(text[text.index(text.startIndex, offsetBy: "<function=".count)..<nameEnd])
        guard let name = tools.resolve(written) else { return nil }
        var arguments = JSONObject()
        var rest = text[text.index(after: nameEnd)...].drop(while: \.isWhitespace)
        while rest.hasPrefix("<parameter=") {
            guard let keyEnd = rest.firstIndex(of: ">") else { return nil }
            let key = String(rest[rest.index(rest.startIndex, offsetBy: "<parameter=".count)..<keyEnd])
            let valueStart = rest.index(after: keyEnd)
            // Models sometimes drop `</parameter>`: the next parameter, else `</function>`, ends the value then.
            // `</parameter>` is looked for only before the next parameter, so values without
            // it are not each read to the end of the region.
            let nextParameter = rest[valueStart...].firstRange(of: "<parameter=")
            let close = rest[valueStart..<(nextParameter?.lowerBound ?? rest.endIndex)].firstRange(of: "</parameter>") ?? nextParameter ?? rest[valueStart...].firstRange(of: "</function>")
            var value = rest[valueStart..<(close?.lowerBound ?? rest.endIndex)]
            // The format puts the value on lines of its own: one newline on each side is markup.
            if value.hasPrefix("\n") { value = value.dropFirst() }
            if value.hasSuffix("\n") { value = value.dropLast() }
            arguments[key] = tools.typedValue(String(value), tool: name, parameter: key)
            // A value with nothing after it was cut off: shown as text rather than run half-read.
            guard let close else { return nil }
            rest = rest[(rest[close.lowerBound...].hasPrefix("</parameter>") ? close.upperBound : close.lowerBound)...].drop(while: \.isWhitespace)
        }
        let call = ParsedToolCall(name: name, arguments: .object(arguments))
        if rest.hasPrefix("</function>") { return (call, rest.dropFirst("</function>".count)) }
        // A region cut off before `</function>` (read at the end of the stream) still holds the call.
        return rest.isEmpty ? (call, rest) : nil
    }

    private func keyValueCall(_ inner: Substring, tools: DeclaredTools) -> ParsedToolCall? {
        let keyOpen = "<\(argumentTag)_key>", keyClose = "</\(argumentTag)_key>"
        let valueOpen = "<\(argumentTag)_value>", valueClose = "</\(argumentTag)_value>"
        let nameEnd = inner.firstRange(of: keyOpen)?.lowerBound ?? inner.endIndex
        var written = inner[..<nameEnd].trimmedWhitespace
        if written.hasPrefix("functions.") { written = String(written.dropFirst("functions.".count)) }
        guard !written.isEmpty, !written.contains("<"), let name = tools.resolve(written) else { return nil }
        var arguments = JSONObject()
        var rest = inner[nameEnd...]
        while let keyStart = rest.firstRange(of: keyOpen) {
            guard rest[..<keyStart.lowerBound].trimmedWhitespace.isEmpty,
                let keyEnd = rest[keyStart.upperBound...].firstRange(of: keyClose),
                let valueStart = rest[keyEnd.upperBound...].firstRange(of: valueOpen),
                rest[keyEnd.upperBound..<valueStart.lowerBound].trimmedWhitespace.isEmpty,
                let valueEnd = rest[valueStart.upperBound...].firstRange(of: valueClose)
            else { return nil }
            let key = rest[keyStart.upperBound..<keyEnd.lowerBound].trimmedWhitespace
            arguments[key] = tools.typedValue(String(rest[valueStart.upperBound..<valueEnd.lowerBound]), tool: name, parameter: key)
            rest = rest[valueEnd.upperBound...]
        }
        return rest.trimmedWhitespace.isEmpty ? ParsedToolCall(name: name, arguments: .object(arguments)) : nil
    }
}

private extension String {
    /// The index in `text` just past this string, which `text` starts with.
    func endIndex(in text: Substring) -> Substring.Index {
        text.index(text.startIndex, offsetBy: count)
    }
}
