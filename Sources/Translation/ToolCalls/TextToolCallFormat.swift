import JSON

/// One way models write tool calls into their text: the markers that open a call region,
/// where the region ends, and how to read the calls in it.
protocol TextToolCallFormat: Sendable {
    /// Strings that open a region; a region starts at the first of them in the text.
    var startMarkers: [String] { get }
    /// Where the region that `text` opens ends (just after its last character), nil while incomplete.
    func regionEnd(in text: Substring) -> String.Index?
    /// The calls in a complete region; nil when it does not parse (it is then shown as text);
    /// empty for markup that is only dropped.
    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]?
}

/// Region boundaries are found by Unicode scalar, not by Character: a stream may cut between
/// a marker's last character and a combining mark after it, and the whole text and the cut one
/// must end the region in the same place.
extension TextToolCallFormat {
    /// The end of the first `marker` in `text`, if present.
    func end(of marker: String, in text: Substring) -> String.Index? {
        text.unicodeScalars.firstRange(of: marker.unicodeScalars)?.upperBound
    }

    /// Whether `text` starts with `marker`, scalar by scalar.
    func starts(_ text: Substring, with marker: String) -> Bool {
        text.unicodeScalars.starts(with: marker.unicodeScalars)
    }

    /// The index just past `marker`, which `text` starts with.
    func after(_ marker: String, in text: Substring) -> String.Index {
        text.utf8.index(text.startIndex, offsetBy: marker.utf8.count)
    }

    /// What lies between `start`, which `region` starts with, and `end`, which closes it when
    /// present (a region may end without it, when the text did).
    func inside(_ region: Substring, between start: String, and end: String) -> Substring {
        let body = region[after(start, in: region)...]
        return body.hasSuffix(end) ? body.dropLast(end.count) : body
    }

    /// The first index at or after `from` that is not whitespace.
    func skipSpaces(_ text: Substring, from: String.Index) -> String.Index {
        let scalars = text.unicodeScalars
        return scalars[from...].firstIndex { !$0.properties.isWhitespace } ?? text.endIndex
    }

    /// The end of the first balanced JSON object or array in `text` at or after `from`.
    func endOfJSON(in text: Substring, from: String.Index) -> String.Index? {
        let scalars = text.unicodeScalars
        var depth = 0
        var inString = false
        var escaped = false
        var index = from
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if inString {
                if escaped { escaped = false } else if scalar == "\\" { escaped = true } else if scalar == "\"" { inString = false }
            } else if scalar == "\"" {
                inString = true
            } else if scalar == "{" || scalar == "[" {
                depth += 1
            } else if scalar == "}" || scalar == "]" {
                depth -= 1
                if depth == 0 { return scalars.index(after: index) }
            } else if depth == 0 && !scalar.properties.isWhitespace {
                return nil
            }
            index = scalars.index(after: index)
        }
        return nil
    }

    /// A call from a JSON object `{"name": ..., "arguments" | "parameters": {...}}`.
    func call(fromJSONObject value: JSONValue, tools: DeclaredTools) -> ParsedToolCall? {
        guard let written = value["name"]?.stringValue, let name = tools.resolve(written) else { return nil }
        return ParsedToolCall(name: name, arguments: arguments(value["arguments"] ?? value["parameters"]))
    }

    /// Calls from a JSON call object or an array of them (Mistral's and Llama's bodies); nil
    /// unless every entry is a call to a declared tool.
    func calls(fromJSONList text: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        guard let value = JSONValue.lenient(String(text)) else { return nil }
        let entries = value.arrayValue ?? [value]
        let calls = entries.compactMap { call(fromJSONObject: $0, tools: tools) }
        return calls.count == entries.count && !calls.isEmpty ? calls : nil
    }

    /// Arguments as an object: given as one, or as a JSON text (read leniently).
    func arguments(_ value: JSONValue?) -> JSONValue {
        guard let value else { return [:] }
        if value.objectValue != nil { return value }
        if let text = value.stringValue, let parsed = JSONValue.lenient(text), parsed.objectValue != nil { return parsed }
        return [:]
    }
}
