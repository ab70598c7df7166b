import JSON

/// Gemma 4: `<|tool_call>call:NAME{key:<|"|>text<|"|>,n:3,list:[1,2],obj:{k:true}}<tool_call|>`,
/// one call per tag pair. Keys are bare; strings sit between `<|"|>` delimiters; other values
/// are numbers, booleans, or nested objects and arrays in the same notation.
struct Gemma4ToolCallFormat: TextToolCallFormat {
    let startMarkers = ["<|tool_call>"]
    private static let closer = MarkerTable(["<tool_call|>"])

    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index? {
        end(ofFirst: Self.closer, in: text, reading: &reading)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        var body = region.dropFirst("<|tool_call>".count)
        guard body.hasSuffix("<tool_call|>") else { return nil }
        body = body.dropLast("<tool_call|>".count).drop(while: \.isWhitespace)
        guard body.hasPrefix("call:"), let brace = body.firstIndex(of: "{"),
            let name = tools.resolve(body[body.index(body.startIndex, offsetBy: 5)..<brace].trimmedWhitespace)
        else { return nil }
        var reader = GemmaValueReader(text: Array(body[brace...].unicodeScalars))
        guard let arguments = reader.object(), reader.atEnd else { return nil }
        return [ParsedToolCall(name: name, arguments: arguments)]
    }
}

/// Reads Gemma 4's argument notation into JSON values. It recurses into nested objects and
/// arrays, so nesting is bounded as the JSON parser bounds it: text from the upstream must
/// not overflow the stack (a region of `{a:` repeated crashed the process).
private struct GemmaValueReader {
    let text: [Unicode.Scalar]
    var position = 0
    private var depth = 0
    private static let quote: [Unicode.Scalar] = Array(#"<|"|>"#.unicodeScalars)
    private static let maxDepth = 256

    init(text: [Unicode.Scalar]) {
        self.text = text
    }

    var atEnd: Bool {
        var index = position
        while index < text.count, text[index].properties.isWhitespace { index += 1 }
        return index == text.count
    }

    mutating func object() -> JSONValue? {
        guard depth < Self.maxDepth, take("{") else { return nil }
        depth += 1
        defer { depth -= 1 }
        var object = JSONObject()
        skipSeparators()
        while !take("}") {
            let keyStart = position
            while position < text.count, text[position] != ":" { position += 1 }
            guard position < text.count else { return nil }
            let key = String(String.UnicodeScalarView(text[keyStart..<position])).trimmedWhitespace
            position += 1
            guard !key.isEmpty, let value = value(ending: "}") else { return nil }
            object[key] = value
            skipSeparators()
        }
        return .object(object)
    }

    private mutating func array() -> JSONValue? {
        guard depth < Self.maxDepth, take("[") else { return nil }
        depth += 1
        defer { depth -= 1 }
        var items: [JSONValue] = []
        skipSeparators()
        while !take("]") {
            guard let value = value(ending: "]") else { return nil }
            items.append(value)
            skipSeparators()
        }
        return .array(items)
    }

    private mutating func value(ending: Unicode.Scalar) -> JSONValue? {
        while position < text.count, text[position] == " " || text[position] == "\n" || text[position] == "\t" { position += 1 }
        guard position < text.count else { return nil }
        if startsWithQuote(at: position) {
            let start = position + Self.quote.count
            var end = start
            while end < text.count, !startsWithQuote(at: end) { end += 1 }
            guard end < text.count else { return nil }
            position = end + Self.quote.count
            return JSONValue(String(String.UnicodeScalarView(text[start..<end])))
        }
        if text[position] == "{" { return object() }
        if text[position] == "[" { return array() }
        let start = position
        while position < text.count, text[position] != ",", text[position] != ending { position += 1 }
        let bare = String(String.UnicodeScalarView(text[start..<position])).trimmedWhitespace
        switch bare {
        case "true": return true
        case "false": return false
        case "null": return .null
        default: return JSONNumber(text: bare).map(JSONValue.number) ?? JSONValue(bare)
        }
    }

    /// Compared in place: this runs at every scalar of a string value.
    private func startsWithQuote(at index: Int) -> Bool {
        index + Self.quote.count <= text.count && text[index..<index + Self.quote.count].elementsEqual(Self.quote)
    }

    private mutating func take(_ scalar: Unicode.Scalar) -> Bool {
        guard position < text.count, text[position] == scalar else { return false }
        position += 1
        return true
    }

    private mutating func skipSeparators() {
        while position < text.count, [" ", ",", "\n", "\t"].contains(text[position]) { position += 1 }
    }
}
