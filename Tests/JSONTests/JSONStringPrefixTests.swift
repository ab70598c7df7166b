import Testing

@testable import JSON

/// `hasPrefix` on parsed strings with escapes decodes only the start of the string; it must
/// answer as decoding the whole string would.
@Suite struct JSONStringPrefixTests {
    private static func parsed(_ json: String) throws -> JSONString {
        try #require(try JSONValue(parsing: json).jsonString)
    }

    @Test func escapedStringsAnswerAsTheirDecodedText() throws {
        let long = String(repeating: #"line\n"#, count: 5_000)
        let cases: [(json: String, prefix: String, expected: Bool)] = [
            (#""x-anthropic-billing-header: cc\n"#, "x-anthropic-billing-header:", true),
            (#""\u0078-anthropic-billing-header: cc\n"#, "x-anthropic-billing-header:", true),
            (#""\u0078\u002d\u0061\u006e\u0074\u0068\u0072\u006f\u0070\u0069\u0063 and more\n"#, "x-anthropic", true),
            (#""\ud83d\ude00\ud83d\ude00\ud83d\ude00\ud83d\ude00 tail\n"#, "\u{1F600}\u{1F600}\u{1F600}\u{1F600} t", true),
            (#""You are Claude Code\n"# + long, "x-anthropic-billing-header:", false),
            (#""a\nb"#, "a\nb\nc", false),
            (#""a\nb"#, "a\nb", true),
            (#""a\nb"#, "", true),
            (#""caf\u00e9 \"x\" and more text after it\n"#, "caf\u{e9} \"x\"", true),
            (#""caf\u00e9 \"x\" and more text after it\n"#, "cafe", false),
        ]
        for (json, prefix, expected) in cases {
            let string = try Self.parsed(json + "\"")
            #expect(string.hasPrefix(prefix) == expected, "\(json.prefix(40)) / \(prefix)")
            #expect(string.value.utf8.starts(with: prefix.utf8) == expected, "the decoded text agrees")
        }
    }

    /// Program text, unescaped and escaped input all compare bytes, so a combining mark after
    /// the prefix does not change the answer with the storage.
    @Test func everyStorageComparesBytes() throws {
        #expect(JSONString("abc\u{301}").hasPrefix("abc"))
        #expect(try Self.parsed("\"abc\u{301}\"").hasPrefix("abc"))
        #expect(try Self.parsed(#""abc\u0301""#).hasPrefix("abc"))
        #expect(!JSONString("ab").hasPrefix("abc"))
    }
}
