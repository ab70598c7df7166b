import JSON

/// One way models write tool calls into their text: the markers that open a call region,
/// where the region ends, and how to read the calls in it.
protocol TextToolCallFormat: Sendable {
    /// Strings that open a region; a region starts at the first of them in the text.
    var startMarkers: [String] { get }
    /// Where the region that `text` opens ends (just after its last character), nil while
    /// incomplete. `reading` is how far earlier calls read the same region when it was
    /// shorter: a format goes on from there, so a region that stays open across many small
    /// pieces of text is read once in all, not once per piece.
    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index?
    /// The calls in a complete region; nil when it does not parse (it is then shown as text);
    /// empty for markup that is only dropped.
    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]?
}

/// How far a format has read the region that is open. The parser keeps one per open region
/// and hands it back, with the longer text, whenever more arrives.
struct RegionReading: Sendable {
    /// UTF-8 offset into the region where reading goes on: nothing before it can end the
    /// region any more.
    var offset = 0
    /// A step of the format's own (Mistral's: before its body, in a name, in JSON).
    var step = 0
    /// The brackets and strings of a JSON value being read.
    var json = BalancedJSONReader()
    /// Bytes looked at so far, those looked at twice counted twice: the work the tests that
    /// hold the parser to linear time count.
    var bytesExamined = 0
}

/// Region boundaries are found by Unicode scalar, not by Character: a stream may cut between
/// a marker's last character and a combining mark after it, and the whole text and the cut one
/// must end the region in the same place. (Markers start with an ASCII byte, so finding their
/// UTF-8 bytes finds them scalar by scalar.)
extension TextToolCallFormat {
    /// The end of the earliest of `closers` in `text`, read from where `reading` stopped.
    func end(ofFirst closers: MarkerTable, in text: Substring, reading: inout RegionReading) -> String.Index? {
        var bytes = text
        let from = reading.offset
        let (found, count) = bytes.withUTF8 { bytes in (closers.firstMatch(in: bytes, from: from), bytes.count) }
        guard let found else {
            reading.bytesExamined += count - from
            // A closer cut off at the end may still be completed: its first bytes are read again.
            reading.offset = max(from, count - closers.longest + 1)
            return nil
        }
        reading.bytesExamined += found.offset + found.length - from
        return text.utf8.index(text.startIndex, offsetBy: found.offset + found.length)
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

    /// The end of the first balanced JSON object or array in `text` at or after `from`,
    /// read from where `reading` stopped; nil while it is incomplete, or when something
    /// other than whitespace comes first (the region then never ends).
    func endOfJSON(in text: Substring, from: String.Index, reading: inout RegionReading) -> String.Index? {
        let start = max(reading.offset, text.utf8.distance(from: text.startIndex, to: from))
        let scalars = text.unicodeScalars
        let (end, readTo) = reading.json.read(scalars, from: text.utf8.index(text.startIndex, offsetBy: start))
        let stopped = text.utf8.distance(from: text.startIndex, to: readTo)
        reading.bytesExamined += stopped - start
        reading.offset = stopped
        return end
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

/// Finds where a JSON object or array written into the text ends, reading its text piece by
/// piece as it streams: brackets outside strings, and strings with their escapes, are all
/// it follows (whether the JSON is valid is for the parse of the complete region to say).
struct BalancedJSONReader: Sendable {
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// Something other than whitespace came before the value: there is none, and reading on changes nothing.
    private var failed = false

    /// Reads on from `index` (where the last call stopped, or the value's start): the index
    /// just past the value once it ends, else nil; and where reading stopped.
    mutating func read(_ scalars: Substring.UnicodeScalarView, from index: String.Index) -> (end: String.Index?, readTo: String.Index) {
        guard !failed else { return (nil, index) }
        var index = index
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
                if depth == 0 {
                    let end = scalars.index(after: index)
                    return (end, end)
                }
            } else if depth == 0 && !scalar.properties.isWhitespace {
                failed = true
                return (nil, index)
            }
            index = scalars.index(after: index)
        }
        return (nil, index)
    }
}
