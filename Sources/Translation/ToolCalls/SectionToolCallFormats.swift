import JSON

/// DeepSeek V3/R1 and V3.1/V3.2, in their full-width spellings and the ASCII ones some
/// servers emit:
/// `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\n{...}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>` (V3)
/// `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{...}<｜tool▁call▁end｜><｜tool▁calls▁end｜>` (V3.1)
struct DeepSeekToolCallFormat: TextToolCallFormat {
    let startMarkers = ["<｜tool▁calls▁begin｜>", "<|tool_calls_begin|>", "<｜tool▁call▁begin｜>", "<|tool_call_begin|>"]
    private static let closers = MarkerTable(["<｜tool▁calls▁end｜>", "<|tool_calls_end|>"])

    /// The first closing marker in either spelling.
    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index? {
        end(ofFirst: Self.closers, in: text, reading: &reading)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        let text = Self.ascii(String(region))
        var calls: [ParsedToolCall] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "<|tool_call_begin|>") {
            let close = rest[open.upperBound...].firstRange(of: "<|tool_call_end|>")
            let body = rest[open.upperBound..<(close?.lowerBound ?? rest.endIndex)]
            guard let separator = body.firstRange(of: "<|tool_sep|>") else { return nil }
            let before = body[..<separator.lowerBound].trimmedWhitespace
            var after = body[separator.upperBound...]
            let written: String
            if before == "function" {  // V3: the name on the first line, then fenced JSON
                let lineEnd = after.firstIndex(of: "\n") ?? after.endIndex
                written = after[..<lineEnd].trimmedWhitespace
                after = after[lineEnd...]
            } else {
                written = before
            }
            guard let name = tools.resolve(written), let arguments = JSONValue.lenient(String(after)), arguments.objectValue != nil else { return nil }
            calls.append(ParsedToolCall(name: name, arguments: arguments))
            guard let close else { break }
            rest = rest[close.upperBound...]
        }
        return calls.isEmpty ? nil : calls
    }

    /// Full-width DeepSeek markers in their ASCII spelling.
    static func ascii(_ text: String) -> String {
        text.replacing("<｜", with: "<|").replacing("｜>", with: "|>").replacing("▁", with: "_")
    }
}

/// Kimi K2, K2-Thinking, K2.5, K2.6: `<|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:IDX<|tool_call_argument_begin|>{...}<|tool_call_end|><|tool_calls_section_end|>`,
/// also with the singular `<|tool_call_section_begin|>` and ids written `NAME:IDX`.
struct KimiToolCallFormat: TextToolCallFormat {
    let startMarkers = ["<|tool_calls_section_begin|>", "<|tool_call_section_begin|>"]
    private static let closers = MarkerTable(["<|tool_calls_section_end|>", "<|tool_call_section_end|>"])

    /// The first closing marker in either spelling.
    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index? {
        end(ofFirst: Self.closers, in: text, reading: &reading)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        var calls: [ParsedToolCall] = []
        var rest = region
        while let open = rest.firstRange(of: "<|tool_call_begin|>") {
            guard let argumentsOpen = rest[open.upperBound...].firstRange(of: "<|tool_call_argument_begin|>") else { return nil }
            let close = rest[argumentsOpen.upperBound...].firstRange(of: "<|tool_call_end|>")
            var written = rest[open.upperBound..<argumentsOpen.lowerBound].trimmedWhitespace
            if written.hasPrefix("functions.") { written = String(written.dropFirst("functions.".count)) }
            if let colon = written.lastIndex(of: ":"), written[written.index(after: colon)...].allSatisfy(\.isNumber) {
                written = String(written[..<colon])
            }
            let argumentText = rest[argumentsOpen.upperBound..<(close?.lowerBound ?? rest.endIndex)]
            guard let name = tools.resolve(written), let arguments = JSONValue.lenient(String(argumentText)), arguments.objectValue != nil else { return nil }
            calls.append(ParsedToolCall(name: name, arguments: arguments))
            guard let close else { break }
            rest = rest[close.upperBound...]
        }
        return calls.isEmpty ? nil : calls
    }
}

/// GPT-OSS (harmony): `<|channel|>commentary to=functions.NAME <|constrain|>json<|message|>{...}<|call|>`.
struct HarmonyToolCallFormat: TextToolCallFormat {
    let startMarkers = ["<|channel|>commentary to=", "<|start|>assistant<|channel|>commentary to="]
    private static let closer = MarkerTable(["<|call|>"])

    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index? {
        end(ofFirst: Self.closer, in: text, reading: &reading)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        guard let target = region.firstRange(of: "to="), let message = region.firstRange(of: "<|message|>"),
            let call = region.firstRange(of: "<|call|>")
        else { return nil }
        var written = region[target.upperBound...].prefix { !$0.isWhitespace && $0 != "<" }
        if written.hasPrefix("functions.") { written = written.dropFirst("functions.".count) }
        let body = region[message.upperBound..<call.lowerBound]
        // An empty body is a call without arguments, as sglang reads it.
        guard let name = tools.resolve(String(written)),
            let arguments = body.trimmedWhitespace.isEmpty ? [:] : JSONValue.lenient(String(body)), arguments.objectValue != nil
        else { return nil }
        return [ParsedToolCall(name: name, arguments: arguments)]
    }
}

/// Mistral: `[TOOL_CALLS] [{"name": ..., "arguments": {...}}]`, or the newer
/// `[TOOL_CALLS]NAME[ARGS]{...}`.
struct MistralToolCallFormat: TextToolCallFormat {
    let startMarkers = ["[TOOL_CALLS]"]

    /// How far `regionEnd` has read (`RegionReading.step`).
    private enum Step {
        static let beforeBody = 0, name = 1, json = 2
    }

    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index? {
        let afterMarker = after("[TOOL_CALLS]", in: text)
        let scalars = text.unicodeScalars
        func offset(_ index: String.Index) -> Int { text.utf8.distance(from: text.startIndex, to: index) }
        var index = max(afterMarker, text.utf8.index(text.startIndex, offsetBy: reading.offset))
        if reading.step == Step.beforeBody {
            let start = scalars[index...].firstIndex { !$0.properties.isWhitespace } ?? text.endIndex
            reading.bytesExamined += offset(start) - offset(index)
            reading.offset = offset(start)
            guard start < text.endIndex else { return nil }
            let first = scalars[start]
            if first == "[" || first == "{" {
                reading.step = Step.json
            } else if Self.isNameScalar(first) {
                reading.step = Step.name
                index = start
            } else {
                // Anything else after the marker is not a call: the region is the marker alone
                // (shown as text), so where the stream was cut cannot change what follows.
                return afterMarker
            }
        }
        if reading.step == Step.name {
            // `NAME[ARGS]{...}`: wait while the name or `[ARGS]` is still arriving.
            let nameEnd = scalars[index...].firstIndex { !Self.isNameScalar($0) } ?? text.endIndex
            reading.bytesExamined += offset(nameEnd) - offset(index)
            reading.offset = offset(nameEnd)
            let rest = text[nameEnd...]
            guard starts(rest, with: "[ARGS]") else { return "[ARGS]".unicodeScalars.starts(with: rest.unicodeScalars) ? nil : afterMarker }
            reading.step = Step.json
            reading.offset = offset(after("[ARGS]", in: rest))
        }
        return endOfJSON(in: text, from: text.utf8.index(text.startIndex, offsetBy: reading.offset), reading: &reading)
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || scalar.properties.numericType != nil || "_-.:".unicodeScalars.contains(scalar)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        let body = region.dropFirst("[TOOL_CALLS]".count)
        if let arguments = body.firstRange(of: "[ARGS]") {
            guard let name = tools.resolve(body[..<arguments.lowerBound].trimmedWhitespace),
                let value = JSONValue.lenient(String(body[arguments.upperBound...])), value.objectValue != nil
            else { return nil }
            return [ParsedToolCall(name: name, arguments: value)]
        }
        return calls(fromJSONList: body, tools: tools)
    }

}

/// Llama 3: `<|python_tag|>{"name": ..., "parameters": {...}}`.
struct LlamaToolCallFormat: TextToolCallFormat {
    let startMarkers = ["<|python_tag|>"]

    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index? {
        endOfJSON(in: text, from: after("<|python_tag|>", in: text), reading: &reading)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        let body = region.dropFirst("<|python_tag|>".count)
        return calls(fromJSONList: body, tools: tools)
    }
}

/// Llama 3 without its tag: a bare `{"name": ..., "parameters": {...}}` object. Only used
/// when the Llama family is chosen explicitly or by model name, since in other models' text
/// such an object is more likely an example than a call.
struct BareJSONToolCallFormat: TextToolCallFormat {
    let startMarkers = ["{\"name\":", "{\"name\" :", "{ \"name\":"]

    func regionEnd(in text: Substring, reading: inout RegionReading) -> String.Index? {
        endOfJSON(in: text, from: text.startIndex, reading: &reading)
    }

    func parse(_ region: Substring, tools: DeclaredTools) -> [ParsedToolCall]? {
        guard let value = try? JSONValue(parsing: String(region)), value["parameters"] != nil || value["arguments"] != nil,
            let call = call(fromJSONObject: value, tools: tools)
        else { return nil }
        return [call]
    }
}
