import JSON
import Testing

/// `JSONReader` reads values without building a tree; it must accept and refuse exactly what
/// `JSONValue(parsing:)` does, whether it reads a value or skips it.
@Suite struct JSONReaderTests {
    private static let texts: [String] = {
        let valid: [String] = ["{}", "[]", #"{"a":[1,-2.5e+3,true,false,null,"x\u00e9\n",{"b":{}}]}"#, " 7 ", #""s""#, "null", "-0", "1E9"]
        let invalid: [String] = [
            "", " ", "{", "[1,]", #"{"a":1,}"#, "01", "-", "1.", "1e", "tru", "nul", #"{"a" 1}"#, #"{"a":1 "b":2}"#, "[1 2]",
            #"{'a':1}"#, #""\x""#, #""\ud800""#, #""\udc00""#, "\"raw \n\"", "{}{}", "[]x", #"{"a":}"#, #"{1:2}"#, "[,]",
        ]
        var nested: [String] = []
        for depth in [256, 257] {
            nested.append(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
            nested.append(String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth))
        }
        return valid + invalid + nested
    }()

    @Test(arguments: texts)
    func acceptsExactlyWhatTheParserAccepts(_ text: String) {
        let bytes = Array(text.utf8)
        let parsed = (try? JSONValue(parsing: bytes)) != nil
        let skipped = (try? JSONReader.read(bytes) { _ throws(JSONParseError) in }) != nil
        let walked = (try? JSONReader.read(bytes) { reader throws(JSONParseError) in try Self.walk(&reader) }) != nil
        #expect(skipped == parsed)
        #expect(walked == parsed)
        #expect((try? JSONReader.read(bytes + [0xFF]) { _ throws(JSONParseError) in }) == nil)
    }

    /// Reads every value through the reader's accessors, the way a caller would.
    private static func walk(_ reader: inout JSONReader) throws(JSONParseError) {
        switch try reader.kind() {
        case .object: try reader.members { reader, _ throws(JSONParseError) in try walk(&reader) }
        case .array: try reader.elements { reader, _ throws(JSONParseError) in try walk(&reader) }
        case .string: _ = try reader.string()
        case .number: _ = try reader.number()
        case .bool, .null: _ = try reader.value()
        }
    }

    @Test func visitsRepeatedMembersInOrderAndSkipsWhatIsNotRead() throws {
        let text = Array(#"{"a":"first","skip":{"deep":[1,{"x":null}]},"a":2,"b":[10,"y",30]}"#.utf8)
        var seen: [String] = []
        try JSONReader.read(text) { reader throws(JSONParseError) in
            try reader.members { reader, name throws(JSONParseError) in
                if name.isEqual(to: "a") {
                    // A value of the wrong kind is left unread (and then skipped).
                    if let string = try reader.string() { seen.append("a=\(string.value)") } else { seen.append("a is not a string") }
                } else if name.isEqual(to: "b") {
                    try reader.elements { reader, index throws(JSONParseError) in
                        if let number = try reader.number() { seen.append("b[\(index)]=\(number.text)") }
                    }
                }
            }
        }
        #expect(seen == ["a=first", "a is not a string", "b[0]=10", "b[2]=30"])
    }

    @Test func accessorsOfTheWrongKindLeaveTheValueUnread() throws {
        var kinds: [JSONReader.ValueKind] = []
        try JSONReader.read(Array(#"[{"k":1},[2],"s",3,true,null]"#.utf8)) { reader throws(JSONParseError) in
            try reader.elements { reader, _ throws(JSONParseError) in
                let kind = try reader.kind()
                kinds.append(kind)
                if kind != .string {
                    #expect(try reader.string() == nil)
                    #expect(try reader.kind() == kind)
                }
                if kind != .number {
                    #expect(try reader.number() == nil)
                    #expect(try reader.kind() == kind)
                }
            }
        }
        #expect(kinds == [.object, .array, .string, .number, .bool, .null])
    }

    @Test func namesWithEscapesCompareByTheirText() throws {
        var matches: [Bool] = []
        var texts: [String] = []
        try JSONReader.read(Array(#"{"con\u0074ent":1,"content":2,"contents":3}"#.utf8)) { reader throws(JSONParseError) in
            try reader.members { _, name throws(JSONParseError) in
                matches.append(name.isEqual(to: "content"))
                texts.append(name.text)
            }
        }
        #expect(matches == [true, true, false])
        #expect(texts == ["content", "content", "contents"])
    }
}
