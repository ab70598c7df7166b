/// Reads JSON straight from bytes, one value at a time, without building a `JSONValue` tree:
/// for hot paths that need a few members of a known shape (the stream relay reads every
/// upstream chunk this way).
///
/// It runs the strict grammar of `JSONValue(parsing:)` with the same parser, so it accepts and
/// rejects the same texts, nesting limit included; what the caller does not read is validated
/// and skipped. Strings come back as `JSONString`s over the input's bytes, not decoded.
/// Member names are compared where they stand (`Name`). Repeated names are all visited, in
/// order; a caller that wants the tree's reading (the last one counts) lets later members
/// overwrite earlier ones.
public struct JSONReader {
    /// What the next value is, before it is read.
    public enum ValueKind: Sendable, Equatable {
        case object, array, string, number, bool, null
    }

    private var parser: JSONParser

    private init(parser: JSONParser) {
        self.parser = parser
    }

    /// A member's name as it stands in the input: compared without decoding or copying.
    /// It points into the bytes being read, so it is valid only inside the `members` call
    /// that hands it over; keep `text` instead.
    public struct Name {
        @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
        @usableFromInline let escaped: Bool

        init(bytes: UnsafeBufferPointer<UInt8>, escaped: Bool) {
            self.bytes = bytes
            self.escaped = escaped
        }

        /// Whether the name's decoded text is `text` (byte by byte when it holds no escape).
        /// Inlinable, so a caller's literal's length and bytes are known where it compares.
        @inlinable @inline(__always)
        public func isEqual(to text: StaticString) -> Bool {
            guard !escaped else { return self.text == text.description }
            guard bytes.count == text.utf8CodeUnitCount else { return false }
            let literal = text.utf8Start
            for offset in 0..<bytes.count where bytes[offset] != literal[offset] { return false }
            return true
        }

        /// The decoded name.
        public var text: String {
            escaped ? JSONEscapes.unescape(Array(bytes)[...]) : String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Reads `bytes`, which must hold exactly one JSON value: `body` reads what it wants of
    /// it (whatever it leaves is validated and skipped), then only whitespace may follow.
    /// Results leave `body` through what it captures (a non-generic entry point keeps the
    /// hot path free of generic metadata look-ups).
    public static func read(_ bytes: [UInt8], maxDepth: Int = 256, _ body: (inout JSONReader) throws(JSONParseError) -> Void) throws(JSONParseError) {
        let failure: JSONParseError? = bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(parser: JSONParser(source: bytes, bytes: buffer, maxDepth: maxDepth, lenient: false))
            do throws(JSONParseError) {
                try reader.readValue(body)
                reader.parser.skipWhitespace()
                guard reader.parser.position == buffer.count else { throw reader.parser.error(.trailingData) }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Runs `body` on the next value and skips the value if `body` did not read it.
    private mutating func readValue(_ body: (inout JSONReader) throws(JSONParseError) -> Void) throws(JSONParseError) {
        parser.skipWhitespace()
        let start = parser.position
        try body(&self)
        if parser.position == start { try skip() }
    }

    /// The kind of the next value, which stays unread.
    public mutating func kind() throws(JSONParseError) -> ValueKind {
        parser.skipWhitespace()
        guard parser.position < parser.bytes.count else { throw parser.error(.unexpectedEnd) }
        switch parser.bytes[parser.position] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case let byte: throw parser.error(.unexpectedCharacter(byte))
        }
    }

    /// The next value if it is a string (read); nil, leaving it unread, if it is not.
    public mutating func string() throws(JSONParseError) -> JSONString? {
        guard try kind() == .string else { return nil }
        return try parser.parseString(quote: UInt8(ascii: "\""))
    }

    /// The next value if it is a number (read); nil, leaving it unread, if it is not.
    public mutating func number() throws(JSONParseError) -> JSONNumber? {
        guard try kind() == .number else { return nil }
        return try parser.parseNumber()
    }

    /// The next value, whole, as a tree: for the rare member worth keeping as one.
    public mutating func value() throws(JSONParseError) -> JSONValue {
        try parser.parseValue()
    }

    /// Validates the next value and moves past it.
    public mutating func skip() throws(JSONParseError) {
        switch try kind() {
        case .object: try members { _, _ throws(JSONParseError) in }
        case .array: try elements { _, _ throws(JSONParseError) in }
        case .string: _ = try parser.scanString(quote: UInt8(ascii: "\""))
        case .number: try parser.skipNumber()
        case .bool, .null: _ = try parser.parseValue()
        }
    }

    /// If the next value is an object, calls `body` with each member's name, the reader
    /// standing at the member's value, and returns true; a value `body` leaves is skipped.
    /// Returns false, leaving the value unread, if it is not an object.
    @discardableResult
    public mutating func members(_ body: (inout JSONReader, Name) throws(JSONParseError) -> Void) throws(JSONParseError) -> Bool {
        guard try kind() == .object else { return false }
        if try parser.enterContainer(closer: UInt8(ascii: "}")) { return true }
        while true {
            parser.skipWhitespace()
            guard parser.position < parser.bytes.count else { throw parser.error(.unexpectedEnd) }
            let quote = parser.bytes[parser.position]
            guard quote == UInt8(ascii: "\"") else { throw parser.error(.unexpectedCharacter(quote)) }
            let (start, end, escaped, _) = try parser.scanString(quote: quote)
            let name = Name(bytes: UnsafeBufferPointer(rebasing: parser.bytes[start..<end]), escaped: escaped)
            parser.skipWhitespace()
            guard parser.position < parser.bytes.count else { throw parser.error(.unexpectedEnd) }
            guard parser.bytes[parser.position] == UInt8(ascii: ":") else { throw parser.error(.unexpectedCharacter(parser.bytes[parser.position])) }
            parser.position += 1
            try readValue { reader throws(JSONParseError) in try body(&reader, name) }
            guard try parser.endOfMember(closer: UInt8(ascii: "}")) else { continue }
            parser.leave()
            return true
        }
    }

    /// If the next value is an array, calls `body` with each element's position, the reader
    /// standing at the element, and returns true; an element `body` leaves is skipped.
    /// Returns false, leaving the value unread, if it is not an array.
    @discardableResult
    public mutating func elements(_ body: (inout JSONReader, Int) throws(JSONParseError) -> Void) throws(JSONParseError) -> Bool {
        guard try kind() == .array else { return false }
        if try parser.enterContainer(closer: UInt8(ascii: "]")) { return true }
        var index = 0
        while true {
            try readValue { reader throws(JSONParseError) in try body(&reader, index) }
            index += 1
            guard try parser.endOfMember(closer: UInt8(ascii: "]")) else { continue }
            parser.leave()
            return true
        }
    }
}
