import Testing

@testable import JSON

/// Member names found in the known-name table come back as the program's literals; every
/// other name, and names written with escapes, are decoded from the input. Either way the
/// parsed object is the same.
@Suite struct JSONKnownNamesTests {
    @Test(arguments: [
        "type", "id", "additionalProperties", "reasoning_content", "completion_tokens_details", "$schema",
        // Near misses: same length, same first and last byte, a prefix, a longer name, empty.
        "tipe", "typo", "types", "ty", "additionalPropertiez", "additionalProperties_", "", "a",
        "caf\u{e9}", "\u{1F600}\u{1F600}", String(repeating: "k", count: 33),
    ])
    func namesParseToTheirText(name: String) throws {
        let value = try JSONValue(parsing: #"{"\#(name)":1}"#)
        #expect(value.objectValue?.keys == [name])
        #expect(value[name]?.intValue == 1)
    }

    @Test func aKnownNameWrittenWithEscapesDecodes() throws {
        let value = try JSONValue(parsing: #"{"typ\u0065":"x","\"type\"":"y"}"#)
        #expect(value.objectValue?.keys == ["type", "\"type\""])
    }

    @Test func knownNamesAreFoundAndOthersAreNot() {
        func lookup(_ name: String) -> String? {
            Array(name.utf8).withUnsafeBufferPointer { JSONKnownNames.name($0) }
        }
        #expect(lookup("additionalProperties") == "additionalProperties")
        #expect(lookup("input_schema") == "input_schema")
        #expect(lookup("tool_calls") == "tool_calls")
        #expect(lookup("tool_callz") == nil)
        #expect(lookup("Type") == nil)
        #expect(lookup("path") == nil)
    }
}
