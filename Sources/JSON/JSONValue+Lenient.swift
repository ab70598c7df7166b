extension JSONValue {
    /// Reads JSON the way models write it in tool arguments: inside ``` fences or after a
    /// little prose, with trailing commas, raw control characters or single quotes in
    /// strings, or Python's True/False/None. Nil when no JSON value can be found.
    public static func lenient(_ text: String) -> JSONValue? {
        var candidate = Substring(text).trimmingWhitespace
        if candidate.hasPrefix("```") {
            candidate = candidate.drop { $0 != "\n" }.dropFirst()
            if let fence = candidate.firstRange(of: "```") { candidate = candidate[..<fence.lowerBound] }
            candidate = candidate.trimmingWhitespace
        }
        let bytes = Array(candidate.utf8)
        if let value = try? JSONParser.parse(bytes, maxDepth: 256, lenient: false) { return value }
        if let value = try? JSONParser.parse(bytes, maxDepth: 256, lenient: true) { return value }
        // Prose around the value: take the outermost object or array.
        guard let open = bytes.firstIndex(where: { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") }) else { return nil }
        let close = bytes[open] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
        guard let end = bytes.lastIndex(of: close), end > open else { return nil }
        return try? JSONParser.parse(Array(bytes[open...end]), maxDepth: 256, lenient: true)
    }
}
