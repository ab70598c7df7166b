/// Why input is not JSON, and where.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, for a caller to switch on.
    public enum Kind: Sendable, Equatable {
        case unexpectedEnd
        case unexpectedCharacter(UInt8)
        case invalidEscape
        case invalidUnicode
        case invalidUTF8
        case controlCharacterInString
        case invalidNumber
        case tooDeep(limit: Int)
        /// More array elements and object members than the input's size allows (`JSONValue.valueLimit(forBytes:)`).
        case tooManyValues(limit: Int)
        case trailingData
    }

    /// What was wrong.
    public var kind: Kind
    /// Byte offset into the input.
    public var offset: Int

    /// An error of `kind` at byte `offset`.
    public init(kind: Kind, offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// What was wrong and where, for a person: "unexpected end of input at byte 12".
    public var description: String {
        let what: String
        switch kind {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedCharacter(let byte):
            what = byte >= 0x20 && byte < 0x7F ? "unexpected character '\(Character(Unicode.Scalar(byte)))'" : "unexpected byte 0x\(String(byte, radix: 16))"
        case .invalidEscape: what = "invalid escape sequence"
        case .invalidUnicode: what = "invalid \\u escape (lone surrogate)"
        case .invalidUTF8: what = "invalid UTF-8"
        case .controlCharacterInString: what = "unescaped control character in string"
        case .invalidNumber: what = "invalid number"
        case .tooDeep(let limit): what = "nesting deeper than \(limit) levels"
        case .tooManyValues(let limit): what = "more than \(limit) values for a document of this size"
        case .trailingData: what = "data after the JSON value"
        }
        return "\(what) at byte \(offset)"
    }
}
