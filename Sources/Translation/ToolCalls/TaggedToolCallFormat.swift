import JSON

/// `<tool_call>…</tool_call>` regions, read by what is inside:
/// - Hermes, Qwen2.5, Qwen3: `{"name": ..., "arguments": {...}}`
/// - Qwen3-Coder: `<function=NAME>\n<parameter=KEY>\nVALUE\n</parameter>\n</function>`
/// - GLM-4.5/4.6: `NAME\n<arg_key>K</arg_key>\n<arg_value>V</arg_value>`
/// XML-style values are typed by the tool's input schema.
struct TaggedToolCallFormat: TextToolCallFormat {
    let startMarkers = ["<tool_call>"]

    func regionEnd(in text: Substring) -> String.Index? {
        end(of: "</tool_call>", in: text)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        guard let open = region.firstRange(of: "<tool_call>"), let close = region.firstRange(of: "</tool_call>") else { return nil }
        let inner = region[open.upperBound..<close.lowerBound].trimmedWhitespace
        if inner.hasPrefix("{") {
            guard let value = JSONValue.lenient(inner), let call = call(fromJSONObject: value, tools: tools) else { return nil }
            return [call]
        }
        if inner.hasPrefix("<function=") { return qwenCoderCall(Substring(inner), tools: tools).map { [$0] } }
        return glmCall(Substring(inner), tools: tools).map { [$0] }
    }

    private func qwenCoderCall(_ inner: Substring, tools: DeclaredTools) -> ParsedToolCall? {
        guard let nameEnd = inner.firstIndex(of: ">") else { return nil }
        let written = String(inner[inner.index(inner.startIndex, offsetBy: "<function=".count)..<nameEnd])
        guard let name = tools.resolve(written) else { return nil }
        var arguments = JSONObject()
        var rest = inner[inner.index(after: nameEnd)...]
        while let open = rest.firstRange(of: "<parameter=") {
            guard let keyEnd = rest[open.upperBound...].firstIndex(of: ">") else { return nil }
            let key = String(rest[open.upperBound..<keyEnd])
            let valueStart = rest.index(after: keyEnd)
            // Models sometimes drop `</parameter>`: the next parameter, else `</function>`, ends the value then.
            let closeTag = rest[valueStart...].firstRange(of: "</parameter>")
            let nextParameter = rest[valueStart...].firstRange(of: "<parameter=")
            let close = if let closeTag, nextParameter.map({ closeTag.lowerBound < $0.lowerBound }) ?? true {
                closeTag
            } else {
                nextParameter ?? rest[valueStart...].firstRange(of: "</function>")
            }
            var value = rest[valueStart..<(close?.lowerBound ?? rest.endIndex)]
            // The format puts the value on lines of its own: one newline on each side is markup.
            if value.hasPrefix("\n") { value = value.dropFirst() }
            if value.hasSuffix("\n") { value = value.dropLast() }
            arguments[key] = tools.typedValue(String(value), tool: name, parameter: key)
            guard let close else { break }
            rest = rest[(rest[close.lowerBound...].hasPrefix("</parameter>") ? close.upperBound : close.lowerBound)...]
        }
        return ParsedToolCall(name: name, arguments: .object(arguments))
    }

    private func glmCall(_ inner: Substring, tools: DeclaredTools) -> ParsedToolCall? {
        let nameEnd = inner.firstRange(of: "<arg_key>")?.lowerBound ?? inner.endIndex
        let written = inner[..<nameEnd].trimmedWhitespace
        guard !written.isEmpty, let name = tools.resolve(written) else { return nil }
        var arguments = JSONObject()
        var rest = inner[nameEnd...]
        while let keyOpen = rest.firstRange(of: "<arg_key>") {
            guard let keyClose = rest[keyOpen.upperBound...].firstRange(of: "</arg_key>"),
                  let valueOpen = rest[keyClose.upperBound...].firstRange(of: "<arg_value>"),
                  let valueClose = rest[valueOpen.upperBound...].firstRange(of: "</arg_value>") else { return nil }
            let key = rest[keyOpen.upperBound..<keyClose.lowerBound].trimmedWhitespace
            arguments[key] = tools.typedValue(String(rest[valueOpen.upperBound..<valueClose.lowerBound]), tool: name, parameter: key)
            rest = rest[valueClose.upperBound...]
        }
        return ParsedToolCall(name: name, arguments: .object(arguments))
    }
}
