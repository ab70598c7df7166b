extension String {
    /// A client-supplied value made safe for a log line: control characters escaped
    /// (`controlCharactersEscaped`), and at most 200 characters.
    var escapedForLog: String {
        // The usual value (a model name) is short printable ASCII: nothing to escape or cut.
        if utf8.count <= 200 && Self.isPlain(utf8) { return self }
        var result = Self.escapingControlCharacters(unicodeScalars.prefix(200))
        if unicodeScalars.count > 200 { result += "…" }
        return result
    }

    /// The text with control characters (line breaks above all, which could forge a log line,
    /// and terminal escapes) written as `\u{…}` escapes: C0, DEL, C1, U+2028 and U+2029.
    var controlCharactersEscaped: String {
        Self.isPlain(utf8) ? self : Self.escapingControlCharacters(unicodeScalars[...])
    }

    private static func isPlain(_ bytes: UTF8View) -> Bool {
        bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    private static func escapingControlCharacters(_ scalars: Substring.UnicodeScalarView) -> String {
        var result = ""
        for scalar in scalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}" {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
