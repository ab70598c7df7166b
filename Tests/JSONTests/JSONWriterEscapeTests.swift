import Testing

@testable import JSON

/// The writer looks for bytes to escape eight at a time; each case puts such a byte at every
/// offset of a word, among ASCII and non-ASCII text, and checks the output against escaping
/// one character at a time.
@Suite struct JSONWriterEscapeTests {
    /// One character at a time, as RFC 8259 asks (and as the writer's slow path does).
    private static func reference(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    @Test(arguments: Array(0..<20))
    func specialsAtEveryOffsetAreEscaped(padding: Int) throws {
        for pad in ["a", "\u{e9}", "\u{1F600}", "\u{7F}"] {
            for special in ["\"", "\\", "\n", "\u{01}", "\u{1F}", " ", "#", "]", "", "\u{A2}", "\u{DC}"] {
                let text = String(repeating: pad, count: padding) + special + "tail"
                let written = JSONValue(text).jsonText
                #expect(written == Self.reference(text))
                #expect(try JSONValue(parsing: written).stringValue == text)
                // The same text as a member name.
                let object = JSONValue.object(JSONObject([(text, JSONValue(1))]))
                #expect(object.jsonText == "{" + Self.reference(text) + ":1}")
            }
        }
    }
}
