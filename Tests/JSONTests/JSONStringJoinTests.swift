import JSON
import Testing

@Suite struct JSONStringJoinTests {
    private func strings(_ json: String) throws -> [JSONString] {
        try #require(JSONValue(parsing: json).arrayValue).compactMap(\.jsonString)
    }

    @Test func parsedPartsAreJoinedAsWrittenAndDecodeToTheJoinedText() throws {
        let parts = try strings(#"["caf\u00e9 \"a\"", "plain", "tab\there"]"#)
        let joined = JSONString.joined(parts, separator: "\n\n")
        #expect(joined.value == "café \"a\"\n\nplain\n\ntab\there")
        #expect(JSONValue.string(joined).jsonText == #""caf\u00e9 \"a\"\n\nplain\n\ntab\there""#)
    }

    @Test func unescapedPartsAndPlainSeparatorStayUnescaped() throws {
        let joined = JSONString.joined(try strings(#"["a", "b"]"#), separator: " ")
        #expect(joined.value == "a b")
        #expect(joined == JSONString("a b"))
    }

    @Test func programTextIsJoinedAsText() throws {
        let parts = try strings(#"["x\"y"]"#) + [JSONString("line\n")]
        let joined = JSONString.joined(parts, separator: "|")
        #expect(joined.value == "x\"y|line\n")
        #expect(JSONValue.string(joined).jsonText == #""x\"y|line\n""#)
        #expect(JSONString.joined([], separator: ",").isEmpty)
    }
}
