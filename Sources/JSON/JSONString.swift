/// A JSON string: either text given by the program, or the raw bytes between the quotes of
/// parsed input (escapes still in place), decoded on demand and written back verbatim.
public struct JSONString: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    enum Storage: Sendable {
        case text(String)
        /// Valid JSON string content; `escaped` says whether it holds any backslash escape.
        case raw(ArraySlice<UInt8>, escaped: Bool)
    }

    let storage: Storage

    /// A string from the program's text.
    public init(_ text: String) { storage = .text(text) }
    /// `"text"` as a JSON string.
    public init(stringLiteral value: String) { storage = .text(value) }

    init(raw: ArraySlice<UInt8>, escaped: Bool) { storage = .raw(raw, escaped: escaped) }

    /// The decoded text.
    public var value: String {
        switch storage {
        case .text(let text): text
        case let .raw(bytes, escaped): escaped ? JSONEscapes.unescape(bytes) : String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The decoded text.
    public var description: String { value }

    /// `parts` joined by `separator`; when all of them are parsed input, their bytes are
    /// joined as they are, without decoding.
    public static func joined(_ parts: [JSONString], separator: String) -> JSONString {
        var separatorBytes: [UInt8] = []
        JSONEscapes.appendQuoted(separator, to: &separatorBytes)
        let separatorEscaped = separatorBytes.contains(UInt8(ascii: "\\"))
        var bytes: [UInt8] = []
        var escaped = false
        for (index, part) in parts.enumerated() {
            guard case let .raw(raw, partEscaped) = part.storage else {
                return JSONString(parts.map(\.value).joined(separator: separator))
            }
            if index > 0 {
                bytes += separatorBytes.dropFirst().dropLast()
                escaped = escaped || separatorEscaped
            }
            bytes += raw
            escaped = escaped || partEscaped
        }
        return JSONString(raw: bytes[...], escaped: escaped)
    }

    /// Whether the decoded text starts with `prefix`'s bytes; parsed input is checked without
    /// decoding more of it than the prefix needs.
    public func hasPrefix(_ prefix: String) -> Bool {
        switch storage {
        case .text(let text):
            return text.utf8.starts(with: prefix.utf8)
        case .raw(let bytes, escaped: false):
            return bytes.starts(with: prefix.utf8)
        case .raw(let bytes, escaped: true):
            // An escape takes at most six bytes per decoded byte (`\u0041`), twelve for a
            // surrogate pair: cut after enough of them, plus one escape that the cut may split.
            let needed = prefix.utf8.count * 6 + 12
            let decoded = JSONEscapes.unescape(bytes.count > needed ? bytes.prefix(needed) : bytes)
            return decoded.utf8.starts(with: prefix.utf8)
        }
    }

    /// Whether the string is empty (checked without decoding).
    public var isEmpty: Bool {
        switch storage {
        case .text(let text): text.isEmpty
        case .raw(let bytes, _): bytes.isEmpty
        }
    }

    /// Its length in bytes as held, without decoding: the decoded UTF-8 length, or for parsed
    /// input with escapes the escaped length (a little more). For estimates.
    public var storedByteCount: Int {
        switch storage {
        case .text(let text): text.utf8.count
        case .raw(let bytes, _): bytes.count
        }
    }

    /// Equal when the decoded texts are equal; unescaped input is compared byte by byte.
    public static func == (lhs: JSONString, rhs: JSONString) -> Bool {
        if case let .raw(a, false) = lhs.storage, case let .raw(b, false) = rhs.storage { return a.elementsEqual(b) }
        return lhs.value == rhs.value
    }

    /// Hashes the decoded text, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(value) }
}

/// A JSON number kept as written, so 1.0, 1e400 and 12345678901234567890 survive a round trip.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number exactly as written (valid JSON number grammar).
    public let text: String

    /// A whole number.
    public init(_ integer: Int) { text = String(integer) }

    /// Non-finite values have no JSON form and become 0.
    public init(_ double: Double) {
        guard double.isFinite else {
            text = "0"
            return
        }
        if double == double.rounded(), abs(double) < 1e15 {
            text = String(Int(double))
        } else {
            text = "\(double)"
        }
    }

    /// Validates the JSON number grammar.
    public init?(text: String) {
        guard case .number(let number)? = try? JSONValue(parsing: text) else { return nil }
        self = number
    }

    init(validated text: String) { self.text = text }

    /// The number as an `Int` when it is written as one and fits; nil otherwise.
    public var intValue: Int? { Int(text) }
    /// The number as the nearest `Double`.
    public var doubleValue: Double { Double(text) ?? 0 }
    /// The number as written.
    public var description: String { text }
}
