import Testing

@testable import JSON

@Suite struct JSONParserTests {
    @Test(arguments: [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
        #"[1,-0,1.0,1e400,-2.5E-3,12345678901234567890]"#,
        #""plain""#,
        #""esc \"q\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00""#,
        #"{"z":1,"a":2,"m":3}"#,
        #"{"dup":1,"dup":2}"#,
        #"[]"#, #"{}"#, #"[[[]]]"#, "0", "null", "true",
        "\"h\u{e9}llo \u{1F600} \u{4E2D}\"",
    ])
    func roundTripsByteForByte(text: String) throws {
        let value = try JSONValue(parsing: text)
        #expect(value.jsonText == text)
    }

    @Test func whitespaceIsDroppedOnWrite() throws {
        let value = try JSONValue(parsing: " {\n \"a\" : [ 1 , 2 ] ,\t\"b\":\"x\" } ")
        #expect(value.jsonText == #"{"a":[1,2],"b":"x"}"#)
    }

    @Test func escapesDecode() throws {
        let value = try JSONValue(parsing: #""a\"b\\c\/d\n\t\u0041\u00e9\ud83d\ude00""#)
        #expect(value.stringValue == "a\"b\\c/d\n\tA\u{e9}\u{1F600}")
    }

    @Test func parsedAndConstructedStringsAreEqual() throws {
        let parsed = try JSONValue(parsing: #""caf\u00e9 \"x\"""#)
        #expect(parsed == JSONValue("caf\u{e9} \"x\""))
        #expect(parsed.hashValue == JSONValue("caf\u{e9} \"x\"").hashValue)
    }

    @Test func keyOrderAndDuplicatesFollowTheInput() throws {
        let value = try JSONValue(parsing: #"{"z":1,"a":2,"z":3}"#)
        #expect(value.objectValue?.keys == ["z", "a", "z"])
        #expect(value["z"]?.intValue == 3)
    }

    @Test func numbersKeepTheirText() throws {
        let value = try JSONValue(parsing: "[1e400,-0,1.0,12345678901234567890,3]")
        #expect(value[0]?.doubleValue == .infinity)
        #expect(value[1]?.jsonText == "-0")
        #expect(value[2]?.jsonText == "1.0")
        #expect(value[3]?.intValue == nil)
        #expect(value[3]?.jsonText == "12345678901234567890")
        #expect(value[4]?.intValue == 3)
        #expect(JSONNumber(text: "1.5e3")?.doubleValue == 1500)
        #expect(JSONNumber(text: "01") == nil)
    }

    @Test(arguments: [
        ("", JSONParseError.Kind.unexpectedEnd, 0),
        ("{", .unexpectedEnd, 1),
        ("[1,]", .unexpectedCharacter(UInt8(ascii: "]")), 3),
        (#"{"a" 1}"#, .unexpectedCharacter(UInt8(ascii: "1")), 5),
        (#"{"a":1,}"#, .unexpectedCharacter(UInt8(ascii: "}")), 7),
        ("01", .trailingData, 1),
        ("1.", .invalidNumber, 0),
        ("-", .invalidNumber, 0),
        ("tru", .unexpectedEnd, 0),
        ("nul!", .unexpectedCharacter(UInt8(ascii: "!")), 3),
        (#""\x""#, .invalidEscape, 1),
        (#""\ud800""#, .invalidUnicode, 1),
        (#""\udc00""#, .invalidUnicode, 1),
        ("\"a\nb\"", .controlCharacterInString, 2),
        ("[1] x", .trailingData, 4),
        ("'x'", .unexpectedCharacter(UInt8(ascii: "'")), 0),
        ("True", .unexpectedCharacter(UInt8(ascii: "T")), 0),
    ])
    func invalidInputNamesWhatAndWhere(text: String, kind: JSONParseError.Kind, offset: Int) {
        #expect(throws: JSONParseError(kind: kind, offset: offset)) { try JSONValue(parsing: text) }
    }

    @Test func invalidUTF8IsRejected() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22]] {
            #expect(throws: JSONParseError(kind: .invalidUTF8, offset: 1)) { try JSONValue(parsing: bytes) }
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError(kind: .tooDeep(limit: 256), offset: 256)) { try JSONValue(parsing: deep) }
        let allowed = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        #expect((try? JSONValue(parsing: allowed)) != nil)
    }

    /// A document dense in values (`[0,0,…]` costs 2 bytes a value, the tree about 50) is
    /// refused past its size's limit, however the values are nested or named; one at the limit parses.
    @Test func aDocumentOfMoreValuesThanItsSizeAllowsIsAnError() throws {
        func zeros(_ count: Int) -> [UInt8] { Array(("[" + Array(repeating: "0", count: count).joined(separator: ",") + "]").utf8) }
        // `[0,…,0]` of n zeros is 2n + 1 bytes.
        var count = 65_536
        while count < JSONValue.valueLimit(forBytes: 2 * (count + 1) + 1) { count += 1 }
        // `count` is the largest flat array that fits its own size's limit.
        #expect(try JSONValue(parsing: zeros(count)).arrayValue?.count == count)
        let over = zeros(count + 1)
        let limit = JSONValue.valueLimit(forBytes: over.count)
        #expect(throws: JSONParseError(kind: .tooManyValues(limit: limit), offset: 2 * limit + 1)) { try JSONValue(parsing: over) }
        // Members count as values too, and nesting does not hide them.
        let members = Array(("{" + (0..<70_000).map { "\"\($0)\":[[]]" }.joined(separator: ",") + "}").utf8)
        #expect(members.count / 32 + 65_536 < 140_000)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: members) }
        // A Claude Code-sized request is far from the limit.
        #expect(JSONValue.valueLimit(forBytes: 48 * 1024) > 60_000)
    }

    @Test func errorDescriptionSaysWhatAndWhere() {
        #expect(JSONParseError(kind: .unexpectedCharacter(UInt8(ascii: "x")), offset: 17).description == "unexpected character 'x' at byte 17")
    }

    @Test func sliceInputParses() throws {
        let bytes = Array("xx[1,2]yy".utf8)
        #expect(try JSONValue(parsing: bytes[2..<7]) == [1, 2])
    }
}

@Suite struct JSONWriterTests {
    @Test func controlCharactersAndQuotesAreEscaped() throws {
        let value = JSONValue("q\"b\\n\nt\tc\u{01}\u{1F}r\r\u{08}\u{0C}/\u{e9}")
        #expect(value.jsonText == #""q\"b\\n\nt\tc\u0001\u001fr\r\b\f/é""#)
        #expect(try JSONValue(parsing: value.jsonText) == value)
    }

    @Test func literalsBuildInOrder() {
        let value: JSONValue = ["b": 1, "a": [true, nil, 2.5, "x"], "c": ["d": false]]
        #expect(value.jsonText == #"{"b":1,"a":[true,null,2.5,"x"],"c":{"d":false}}"#)
    }

    @Test func objectEditing() {
        var object: JSONObject = ["a": 1, "b": 2, "a": 3]
        object["a"] = 9
        #expect(JSONValue.object(object).jsonText == #"{"a":9,"b":2}"#)
        object["c"] = "new"
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object.removeValue(forKey: "a") == 9)
        #expect(object.count == 1)
        object.append(key: "z", value: .null)
        #expect(JSONValue.object(object).jsonText == #"{"c":"new","z":null}"#)
    }

    @Test func numbersFromDoubles() {
        #expect(JSONValue(2.0).jsonText == "2")
        #expect(JSONValue(0.1).jsonText == "0.1")
        #expect(JSONValue(Double.nan).jsonText == "0")
    }
}

@Suite struct LenientJSONTests {
    @Test(arguments: [
        ("```json\n{\"a\": 1}\n```", #"{"a":1}"#),
        ("```\n[1, 2,]\n```", "[1,2]"),
        (#"{"a": [1, 2,], "b": {"c": 3,},}"#, #"{"a":[1,2],"b":{"c":3}}"#),
        ("{\"code\": \"line1\nline2\ttab\"}", #"{"code":"line1\nline2\ttab"}"#),
        ("{'a': 'it\\'s'}", #"{"a":"it's"}"#),
        // Found by the json-lenient fuzz target: \' inside a double-quoted string was kept as
        // written and written back as invalid JSON.
        (#"["h:\'{"]"#, #"["h:'{"]"#), (#"{"a": "it\'s \\'x"}"#, #"{"a":"it's \\'x"}"#),
        ("{\"t\": True, \"f\": False, \"n\": None}", #"{"t":true,"f":false,"n":null}"#),
        ("Here are the arguments: {\"path\": \"/tmp\"} as asked.", #"{"path":"/tmp"}"#),
        ("  {\"ok\": true}  ", #"{"ok":true}"#),
    ])
    func repairsWhatModelsWrite(text: String, expected: String) throws {
        let value = try #require(JSONValue.lenient(text))
        #expect(value.jsonText == expected)
    }

    @Test func nothingUsableIsNil() {
        #expect(JSONValue.lenient("no json here") == nil)
        #expect(JSONValue.lenient("{\"a\": ") == nil)
    }
}
