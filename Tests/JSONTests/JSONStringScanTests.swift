import Testing

@testable import JSON

/// The parser scans strings eight bytes at a time and jumps to the first byte that needs a
/// look (a quote, a backslash, a control character, non-ASCII); the last bytes of the input
/// go one at a time. Each case puts that byte at every offset of a word, inside the input
/// and at its very end, so both paths and every lane of a word are covered.
@Suite struct JSONStringScanTests {
    /// Offsets 0 to 19 of the special byte inside the string's content.
    static let offsets = Array(0..<20)

    /// `"<pad>` + `special` + `tail"`, in an array followed by more input or at its end.
    private static func documents(padding: Int, special: [UInt8], tail: String = "z") -> [(bytes: [UInt8], stringStart: Int)] {
        let content = Array(String(repeating: "a", count: padding).utf8) + special + Array(tail.utf8)
        let atEnd = [UInt8(ascii: "\"")] + content + [UInt8(ascii: "\"")]
        let inside = Array(#"[""#.utf8) + content + Array(#"", "after the string, long enough for whole words"]"#.utf8)
        return [(atEnd, 1), (inside, 2)]
    }

    private static func firstString(_ value: JSONValue) -> JSONValue? {
        value.arrayValue?.first ?? value
    }

    @Test(arguments: offsets)
    func escapesAtEveryOffsetDecodeAndRoundTrip(padding: Int) throws {
        let pad = String(repeating: "a", count: padding)
        for (escape, decoded) in [(#"\n"#, "\n"), (#"\""#, "\""), (#"\\"#, "\\"), (#"\/"#, "/"), (#"\u00e9"#, "\u{e9}"), (#"\ud83d\ude00"#, "\u{1F600}")] {
            for document in Self.documents(padding: padding, special: Array(escape.utf8)) {
                let value = try JSONValue(parsing: document.bytes)
                #expect(Self.firstString(value)?.stringValue == pad + decoded + "z")
                #expect(value.serialized() == (try JSONValue(parsing: value.serialized())).serialized())
                #expect(value.jsonText.contains(pad + escape + "z"), "kept as written")
            }
        }
    }

    @Test(arguments: offsets)
    func quotesEndTheStringAtEveryOffset(padding: Int) throws {
        let pad = String(repeating: "b", count: padding)
        let value = try JSONValue(parsing: #"["\#(pad)","\#(pad)x"]"#)
        #expect(value == [JSONValue(pad), JSONValue(pad + "x")])
        #expect(try JSONValue(parsing: #""\#(pad)""#) == JSONValue(pad))
    }

    @Test(arguments: offsets)
    func nonASCIIAtEveryOffsetIsKept(padding: Int) throws {
        let pad = String(repeating: "a", count: padding)
        for text in ["\u{e9}", "\u{4E2D}", "\u{1F600}", "\u{7F}", "\u{80}", "\u{10FFFF}", "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}"] {
            for document in Self.documents(padding: padding, special: Array(text.utf8)) {
                let value = try JSONValue(parsing: document.bytes)
                #expect(Self.firstString(value)?.stringValue == pad + text + "z")
            }
        }
    }

    @Test(arguments: offsets)
    func invalidUTF8AtEveryOffsetIsRejectedWhereItIs(padding: Int) {
        // A stray continuation byte, a lead byte without its continuation, an overlong form,
        // an encoded surrogate, above U+10FFFF, a byte never valid in UTF-8.
        for bad: [UInt8] in [[0x80], [0xC3, 0x41], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0xE2, 0x82]] {
            for document in Self.documents(padding: padding, special: bad) {
                #expect(throws: JSONParseError(kind: .invalidUTF8, offset: document.stringStart + padding)) {
                    try JSONValue(parsing: document.bytes)
                }
            }
        }
    }

    @Test(arguments: offsets)
    func controlBytesAtEveryOffsetAreRejectedStrictAndKeptLenient(padding: Int) throws {
        for control: UInt8 in [0x00, 0x01, 0x0A, 0x1F] {
            for document in Self.documents(padding: padding, special: [control]) {
                #expect(throws: JSONParseError(kind: .controlCharacterInString, offset: document.stringStart + padding)) {
                    try JSONValue(parsing: document.bytes)
                }
                let lenient = try JSONParser.parse(document.bytes, maxDepth: 256, lenient: true)
                let text = String(repeating: "a", count: padding) + String(Unicode.Scalar(control)) + "z"
                #expect(Self.firstString(lenient)?.stringValue == text)
                #expect(try JSONValue(parsing: lenient.serialized()) == lenient, "written back as valid JSON")
            }
        }
        // The bytes right above the control range and around the quote and backslash are text.
        for plain: UInt8 in [0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7E, 0x7F] {
            for document in Self.documents(padding: padding, special: [plain]) {
                let expected = String(repeating: "a", count: padding) + String(Unicode.Scalar(plain)) + "z"
                #expect(Self.firstString(try JSONValue(parsing: document.bytes))?.stringValue == expected)
            }
        }
    }

    @Test(arguments: offsets)
    func unterminatedStringsEndInUnexpectedEnd(padding: Int) {
        let pad = String(repeating: "a", count: padding)
        for text in ["\"" + pad, "[\"" + pad, "\"" + pad + #"\"#, "\"" + pad + #"\u00"#, "{\"" + pad] {
            #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
            do {
                _ = try JSONValue(parsing: text)
            } catch {
                #expect(error.kind == .unexpectedEnd, "\(text)")
            }
        }
    }

    @Test(arguments: offsets)
    func singleQuotedLenientStringsEndAtTheirQuote(padding: Int) throws {
        let pad = String(repeating: "a", count: padding)
        let value = try JSONParser.parse(Array(#"['\#(pad)"x', "\#(pad)'y"]"#.utf8), maxDepth: 256, lenient: true)
        #expect(value == [JSONValue(pad + "\"x"), JSONValue(pad + "'y")])
    }
}
