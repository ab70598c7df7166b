extension JSONValue {
    /// Parses strict JSON (RFC 8259). Nesting deeper than `maxDepth` is an error, never a
    /// stack overflow; so is a document of more values than `JSONValue.valueLimit(forBytes:)`
    /// allows for its size, so no input costs more than a small multiple of its size.
    public init(parsing bytes: [UInt8], maxDepth: Int = 256) throws(JSONParseError) {
        self = try JSONParser.parse(bytes, maxDepth: maxDepth, lenient: false)
    }

    /// Parses strict JSON from a slice of bytes.
    public init(parsing bytes: ArraySlice<UInt8>, maxDepth: Int = 256) throws(JSONParseError) {
        try self.init(parsing: Array(bytes), maxDepth: maxDepth)
    }

    /// Parses strict JSON from text.
    public init(parsing text: String, maxDepth: Int = 256) throws(JSONParseError) {
        try self.init(parsing: Array(text.utf8), maxDepth: maxDepth)
    }

    /// The most array elements and object members (together) a document of `byteCount`
    /// bytes may hold: 65,536, plus one for every 32 bytes.
    ///
    /// A value costs its tree about 50 bytes, and up to three times that while its container
    /// is being built (the parse stack, then the container), against as little as 2 bytes of
    /// input (`[0,0,…]`): unbounded, a 32 MiB body held 1.4 GB. Real documents are far below
    /// the limit (Claude Code's requests run at about 130 bytes per value; one value per 32
    /// bytes leaves room for dense number arrays inside them).
    public static func valueLimit(forBytes byteCount: Int) -> Int { 65_536 + byteCount / 32 }
}

/// A recursive-descent parser over raw bytes. Strict by default; the lenient mode (for
/// model-written tool arguments) also takes trailing commas, raw control characters and
/// single quotes in strings, and Python's True/False/None.
struct JSONParser {
    let source: [UInt8]
    let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private let lenient: Bool
    var position = 0
    private(set) var depth = 0
    /// Array elements and object members this document may still hold (`JSONValue.valueLimit(forBytes:)`).
    private var valuesLeft: Int
    /// Members and elements of the objects and arrays being parsed, nested ones stacked on
    /// top: each container is then allocated once, at its exact size, when it closes. Made
    /// on the first object or array (a `JSONReader` that reads no tree never makes them).
    private var memberStack: JSONParseStack<JSONObject.Element>?
    private var elementStack: JSONParseStack<JSONValue>?

    static func parse(_ source: [UInt8], maxDepth: Int, lenient: Bool) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = source.withUnsafeBufferPointer { bytes in
            var parser = JSONParser(source: source, bytes: bytes, maxDepth: maxDepth, lenient: lenient)
            do throws(JSONParseError) {
                let value = try parser.parseValue()
                parser.skipWhitespace()
                guard parser.position == bytes.count else { throw parser.error(.trailingData) }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    init(source: [UInt8], bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, lenient: Bool) {
        self.source = source
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.lenient = lenient
        valuesLeft = JSONValue.valueLimit(forBytes: bytes.count)
    }

    func error(_ kind: JSONParseError.Kind, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(kind: kind, offset: offset ?? position)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard position < bytes.count else { throw error(.unexpectedEnd) }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString(quote: UInt8(ascii: "\"")))
        case UInt8(ascii: "'") where lenient: return .string(try parseString(quote: UInt8(ascii: "'")))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "T") where lenient: try expectLiteral("True"); return .bool(true)
        case UInt8(ascii: "F") where lenient: try expectLiteral("False"); return .bool(false)
        case UInt8(ascii: "N") where lenient: try expectLiteral("None"); return .null
        case let byte: throw error(.unexpectedCharacter(byte))
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error(.unexpectedEnd) }
        for index in 0..<count where bytes[position + index] != literal.utf8Start[index] {
            throw error(.unexpectedCharacter(bytes[position + index]), at: position + index)
        }
        position += count
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        guard depth <= maxDepth else { throw error(.tooDeep(limit: maxDepth)) }
    }

    mutating func leave() { depth -= 1 }

    /// Counts one more element or member against the document's value limit.
    @inline(__always)
    mutating func countValue() throws(JSONParseError) {
        valuesLeft -= 1
        guard valuesLeft >= 0 else { throw error(.tooManyValues(limit: JSONValue.valueLimit(forBytes: bytes.count))) }
    }

    /// Enters the array or object whose opening bracket is next; true when it is empty, its
    /// `closer` consumed and the container left again.
    @inline(__always)
    mutating func enterContainer(closer: UInt8) throws(JSONParseError) -> Bool {
        try enter()
        position += 1
        skipWhitespace()
        guard position < bytes.count && bytes[position] == closer else { return false }
        position += 1
        leave()
        return true
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        if try enterContainer(closer: UInt8(ascii: "]")) { return .array([]) }
        let stack = elementStack ?? makeElementStack()
        let base = stack.count
        while true {
            try countValue()
            stack.push(try parseValue())
            if try endOfMember(closer: UInt8(ascii: "]")) { break }
        }
        leave()
        return .array(stack.popArray(from: base))
    }

    /// After an element or member: consumes the comma before the next one (false) or the
    /// container's `closer` (true); lenient mode also takes a trailing comma before `closer`.
    @inline(__always)
    mutating func endOfMember(closer: UInt8) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard position < bytes.count else { throw error(.unexpectedEnd) }
        let byte = bytes[position]
        position += 1
        if byte == closer { return true }
        guard byte == UInt8(ascii: ",") else { throw error(.unexpectedCharacter(byte), at: position - 1) }
        if lenient {
            skipWhitespace()
            if position < bytes.count && bytes[position] == closer {
                position += 1
                return true
            }
        }
        return false
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        if try enterContainer(closer: UInt8(ascii: "}")) { return .object(JSONObject(members: [])) }
        let stack = memberStack ?? makeMemberStack()
        let base = stack.count
        while true {
            skipWhitespace()
            guard position < bytes.count else { throw error(.unexpectedEnd) }
            let quote = bytes[position]
            guard quote == UInt8(ascii: "\"") || (lenient && quote == UInt8(ascii: "'")) else {
                throw error(.unexpectedCharacter(quote))
            }
            let key = try parseName(quote: quote)
            skipWhitespace()
            guard position < bytes.count else { throw error(.unexpectedEnd) }
            guard bytes[position] == UInt8(ascii: ":") else { throw error(.unexpectedCharacter(bytes[position])) }
            position += 1
            try countValue()
            let value = try parseValue()
            stack.push((key: key, value: value))
            if try endOfMember(closer: UInt8(ascii: "}")) { break }
        }
        leave()
        return .object(JSONObject(members: stack.popArray(from: base)))
    }

    private mutating func makeMemberStack() -> JSONParseStack<JSONObject.Element> {
        let stack = JSONParseStack<JSONObject.Element>()
        memberStack = stack
        return stack
    }

    private mutating func makeElementStack() -> JSONParseStack<JSONValue> {
        let stack = JSONParseStack<JSONValue>()
        elementStack = stack
        return stack
    }

    /// Scans a string, validating escapes and UTF-8, and keeps its raw bytes. In lenient
    /// mode (other quotes, raw control characters) the text is decoded instead, so what is
    /// written back is always valid JSON.
    mutating func parseString(quote: UInt8) throws(JSONParseError) -> JSONString {
        let (start, end, escaped, controls) = try scanString(quote: quote)
        let raw = source[start..<end]
        // Lenient escapes (\' ) are not JSON: such a string is decoded, not kept as written.
        if quote != UInt8(ascii: "\"") || controls || (lenient && escaped && Self.containsEscapedQuote(raw)) {
            return JSONString(JSONEscapes.unescape(raw, lenient: true))
        }
        return JSONString(raw: raw, escaped: escaped)
    }

    /// A member name: a known name's literal, else the decoded text.
    private mutating func parseName(quote: UInt8) throws(JSONParseError) -> String {
        let (start, end, escaped, controls) = try scanString(quote: quote)
        guard !escaped, !controls else { return JSONEscapes.unescape(source[start..<end], lenient: lenient) }
        let name = UnsafeBufferPointer(rebasing: bytes[start..<end])
        return JSONKnownNames.name(name) ?? String(decoding: name, as: UTF8.self)
    }

    /// Validates a string and moves past it: where its content starts and ends, whether it
    /// holds escapes, and (lenient mode) raw control characters.
    mutating func scanString(quote: UInt8) throws(JSONParseError) -> (start: Int, end: Int, escaped: Bool, controls: Bool) {
        position += 1
        let start = position
        var escaped = false
        var controls = false
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quotes = ones &* UInt64(quote), backslashes = ones &* UInt64(UInt8(ascii: "\\"))
        let highBits = ones &* 0x80
        while true {
            if position + 8 <= bytes.count {
                // Eight bytes at a time: the lowest flagged byte is the first quote, backslash,
                // control character or non-ASCII byte (borrows only flag bytes above a real one).
                let word = UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + position).loadUnaligned(as: UInt64.self))
                let quoteBytes = word ^ quotes, backslashBytes = word ^ backslashes
                let special = ((word &- ones &* 0x20) | (quoteBytes &- ones) & ~quoteBytes | (backslashBytes &- ones) & ~backslashBytes | word) & highBits
                if special == 0 {
                    position += 8
                    continue
                }
                position += special.trailingZeroBitCount &>> 3
            } else {
                while position < bytes.count {
                    let byte = bytes[position]
                    if byte == quote || byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
                    position += 1
                }
                guard position < bytes.count else { throw error(.unexpectedEnd) }
            }
            let byte = bytes[position]
            if byte == quote { break }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                try skipEscape()
            } else if byte < 0x20 {
                guard lenient else { throw error(.controlCharacterInString) }
                controls = true
                position += 1
            } else {
                try skipUTF8Sequence()
            }
        }
        let end = position
        position += 1
        return (start, end, escaped, controls)
    }

    private static func containsEscapedQuote(_ raw: ArraySlice<UInt8>) -> Bool {
        zip(raw, raw.dropFirst()).contains { $0 == UInt8(ascii: "\\") && $1 == UInt8(ascii: "'") }
    }

    private mutating func skipEscape() throws(JSONParseError) {
        let escapeStart = position
        position += 1
        guard position < bytes.count else { throw error(.unexpectedEnd) }
        switch bytes[position] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 1
        case UInt8(ascii: "'") where lenient:
            position += 1
        case UInt8(ascii: "u"):
            position += 1
            let unit = try readHex4()
            if (0xD800..<0xDC00).contains(unit) {
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                    throw error(.invalidUnicode, at: escapeStart)
                }
                position += 2
                let low = try readHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error(.invalidUnicode, at: escapeStart) }
            } else if (0xDC00..<0xE000).contains(unit) {
                throw error(.invalidUnicode, at: escapeStart)
            }
        default:
            throw error(.invalidEscape, at: escapeStart)
        }
    }

    private mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error(.unexpectedEnd) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = JSONEscapes.hexValue(bytes[position]) else { throw error(.invalidEscape) }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence (no overlongs, no surrogates, at most U+10FFFF).
    private mutating func skipUTF8Sequence() throws(JSONParseError) {
        let lead = bytes[position]
        let length: Int
        let minimum: UInt32
        var scalar: UInt32
        switch lead {
        case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(lead & 0x07)
        default: throw error(.invalidUTF8)
        }
        guard position + length <= bytes.count else { throw error(.invalidUTF8) }
        for index in 1..<length {
            let continuation = bytes[position + index]
            guard continuation & 0xC0 == 0x80 else { throw error(.invalidUTF8) }
            scalar = scalar << 6 | UInt32(continuation & 0x3F)
        }
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800..<0xE000).contains(scalar) else { throw error(.invalidUTF8) }
        position += length
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = position
        try skipNumber()
        return JSONNumber(validated: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
    }

    /// Validates a number and moves past it.
    mutating func skipNumber() throws(JSONParseError) {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { throw error(.invalidNumber, at: start) }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else if isDigit(bytes[position]) {
            while position < bytes.count && isDigit(bytes[position]) { position += 1 }
        } else {
            throw error(.invalidNumber, at: start)
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw error(.invalidNumber, at: start) }
            while position < bytes.count && isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            position += 1
            if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) { position += 1 }
            guard position < bytes.count, isDigit(bytes[position]) else { throw error(.invalidNumber, at: start) }
            while position < bytes.count && isDigit(bytes[position]) { position += 1 }
        }
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
