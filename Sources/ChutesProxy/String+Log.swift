extension String {
    /// A client-supplied value made safe for a log line: control characters (line breaks
    /// above all, which could forge a log line) written as `\u{…}` escapes, and at most 200
    /// characters.
    var escapedForLog: String {
        // The usual value (a model name) is short printable ASCII: nothing to escape or cut.
        if utf8.count <= 200 && utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return self }
        var result = ""
        for scalar in unicodeScalars.prefix(200) {
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}" {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        if unicodeScalars.count > 200 { result += "…" }
        return result
    }
}
