/// Follows JSON object text as it streams in and says how much of it can be sent on so that
/// the receiver can always complete it to a valid object.
///
/// Streamed tool-call arguments arrive in fragments and may stop anywhere (the model ran
/// out of tokens) or go wrong (a model wrote invalid JSON). Passing fragments on as they
/// come would leave the client with input that does not parse. The scanner accepts bytes
/// while they remain a valid beginning of one JSON object, remembers the last "safe" point
/// (where appending `closingSuffix` gives a complete object: right after a complete value,
/// after `{` or `[`, inside a string value between characters) and stops at the first byte
/// that cannot belong to one; what follows is ignored.
public struct JSONPrefixScanner: Sendable {
    private enum Expect: Sendable {
        case objectStart, value, valueOrArrayEnd, keyOrObjectEnd, key, colon, commaOrEnd, done
        case string(isKey: Bool)
        case escape(isKey: Bool)
        /// `\u` digits still to read; `low` when this escape must be a low surrogate.
        case unicode(isKey: Bool, remaining: Int, value: UInt32, low: Bool)
        /// After a high surrogate: the `\` (false) or `u` (true) of its low half.
        case lowSurrogate(isKey: Bool, sawBackslash: Bool)
        case number(NumberPart)
        case literal(remaining: ArraySlice<UInt8>)
    }

    private enum NumberPart: Sendable { case sign, zero, integer, point, fraction, exponentMark, exponentSign, exponent }

    private var expect = Expect.objectStart
    /// Open containers, innermost last: `}` or `]`.
    private var closers: [UInt8] = []
    /// Continuation bytes left in the current UTF-8 character of a string.
    private var utf8Remaining = 0
    private var scanned = 0
    private var safeInString = false
    private var safeClosers = 0
    /// False after a byte that cannot continue a JSON object; later bytes are ignored.
    public private(set) var isValid = true
    /// Bytes from the start that may be sent on: the text up to the last safe point.
    public private(set) var safeCount = 0

    /// A scanner at the start of a value, nothing read yet.
    public init() {}

    /// The bytes that complete the text up to `safeCount` to a valid object; "" when that
    /// text is already one, or when nothing was safe yet (send nothing and no suffix).
    public var closingSuffix: String {
        guard safeCount > 0 else { return "" }
        return (safeInString ? "\"" : "") + String(decoding: closers.prefix(safeClosers).reversed(), as: UTF8.self)
    }

    /// Reads more of the text.
    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            guard isValid else { return }
            guard step(byte) else {
                isValid = false
                return
            }
            scanned += 1
        }
    }

    /// Advances by one byte; false when the text stops being a valid beginning.
    private mutating func step(_ byte: UInt8) -> Bool {
        let isSpace = byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
        switch expect {
        case .objectStart:
            if isSpace { return true }
            guard byte == UInt8(ascii: "{") else { return false }
            open(UInt8(ascii: "}"), then: .keyOrObjectEnd)
        case .value, .valueOrArrayEnd:
            if isSpace { return true }
            if case .valueOrArrayEnd = expect, byte == UInt8(ascii: "]") { return close(byte) }
            return startValue(byte)
        case .keyOrObjectEnd, .key:
            if isSpace { return true }
            if case .keyOrObjectEnd = expect, byte == UInt8(ascii: "}") { return close(byte) }
            guard byte == UInt8(ascii: "\"") else { return false }
            expect = .string(isKey: true)
        case .colon:
            if isSpace { return true }
            guard byte == UInt8(ascii: ":") else { return false }
            expect = .value
        case .commaOrEnd:
            if isSpace { return true }
            if byte == UInt8(ascii: ",") {
                expect = closers.last == UInt8(ascii: "}") ? .key : .value
                return true
            }
            return close(byte)
        case .done:
            return isSpace
        case .string(let isKey):
            if utf8Remaining > 0 {
                guard byte & 0xC0 == 0x80 else { return false }
                utf8Remaining -= 1
            } else if byte == UInt8(ascii: "\"") {
                expect = isKey ? .colon : .commaOrEnd
                if !isKey { return valueEnded() }
                return true
            } else if byte == UInt8(ascii: "\\") {
                expect = .escape(isKey: isKey)
                return true
            } else if byte < 0x20 {
                return false
            } else if byte >= 0x80 {
                switch byte {
                case 0xC2...0xDF: utf8Remaining = 1
                case 0xE0...0xEF: utf8Remaining = 2
                case 0xF0...0xF4: utf8Remaining = 3
                default: return false
                }
                return true
            }
            if !isKey && utf8Remaining == 0 { markSafe(inString: true) }
        case .escape(let isKey):
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                expect = .string(isKey: isKey)
                if !isKey { markSafe(inString: true) }
            case UInt8(ascii: "u"):
                expect = .unicode(isKey: isKey, remaining: 4, value: 0, low: false)
            default:
                return false
            }
        case .unicode(let isKey, let remaining, let value, let low):
            guard let digit = Self.hexValue(byte) else { return false }
            let value = value << 4 | UInt32(digit)
            guard remaining == 1 else {
                expect = .unicode(isKey: isKey, remaining: remaining - 1, value: value, low: low)
                return true
            }
            let isHigh = (0xD800..<0xDC00).contains(value), isLow = (0xDC00..<0xE000).contains(value)
            if low != isLow || (low && isHigh) { return false }
            if isHigh {
                expect = .lowSurrogate(isKey: isKey, sawBackslash: false)
                return true
            }
            expect = .string(isKey: isKey)
            if !isKey { markSafe(inString: true) }
        case .lowSurrogate(let isKey, let sawBackslash):
            if !sawBackslash {
                guard byte == UInt8(ascii: "\\") else { return false }
                expect = .lowSurrogate(isKey: isKey, sawBackslash: true)
            } else {
                guard byte == UInt8(ascii: "u") else { return false }
                expect = .unicode(isKey: isKey, remaining: 4, value: 0, low: true)
            }
        case .number(let part):
            return continueNumber(part, byte)
        case .literal(let remaining):
            guard byte == remaining.first else { return false }
            let rest = remaining.dropFirst()
            if rest.isEmpty { return valueEnded() }
            expect = .literal(remaining: rest)
        }
        return true
    }

    private mutating func startValue(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "{"): open(UInt8(ascii: "}"), then: .keyOrObjectEnd)
        case UInt8(ascii: "["): open(UInt8(ascii: "]"), then: .valueOrArrayEnd)
        case UInt8(ascii: "\""):
            expect = .string(isKey: false)
            markSafe(inString: true)
        case UInt8(ascii: "-"): expect = .number(.sign)
        case UInt8(ascii: "0"):
            expect = .number(.zero)
            markSafe(inString: false)
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            expect = .number(.integer)
            markSafe(inString: false)
        case UInt8(ascii: "t"): expect = .literal(remaining: Array("rue".utf8)[...])
        case UInt8(ascii: "f"): expect = .literal(remaining: Array("alse".utf8)[...])
        case UInt8(ascii: "n"): expect = .literal(remaining: Array("ull".utf8)[...])
        default: return false
        }
        return true
    }

    private mutating func continueNumber(_ part: NumberPart, _ byte: UInt8) -> Bool {
        let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
        let next: NumberPart?
        switch (part, byte) {
        case (.sign, UInt8(ascii: "0")): next = .zero
        case (.sign, _) where isDigit: next = .integer
        case (.integer, _) where isDigit: next = .integer
        case (.zero, UInt8(ascii: ".")), (.integer, UInt8(ascii: ".")): next = .point
        case (.point, _) where isDigit, (.fraction, _) where isDigit: next = .fraction
        case (.zero, UInt8(ascii: "e")), (.zero, UInt8(ascii: "E")), (.integer, UInt8(ascii: "e")), (.integer, UInt8(ascii: "E")),
            (.fraction, UInt8(ascii: "e")), (.fraction, UInt8(ascii: "E")):
            next = .exponentMark
        case (.exponentMark, UInt8(ascii: "+")), (.exponentMark, UInt8(ascii: "-")): next = .exponentSign
        case (.exponentMark, _) where isDigit, (.exponentSign, _) where isDigit, (.exponent, _) where isDigit: next = .exponent
        default: next = nil
        }
        if let next {
            expect = .number(next)
            if next == .zero || next == .integer || next == .fraction || next == .exponent { markSafe(inString: false) }
            return true
        }
        // The number ended before this byte, if it could end here.
        guard part == .zero || part == .integer || part == .fraction || part == .exponent else { return false }
        expect = closers.isEmpty ? .done : .commaOrEnd
        return step(byte)
    }

    private mutating func open(_ closer: UInt8, then next: Expect) {
        closers.append(closer)
        expect = next
        markSafe(inString: false)
    }

    private mutating func close(_ byte: UInt8) -> Bool {
        guard closers.last == byte else { return false }
        closers.removeLast()
        return valueEnded()
    }

    /// A value is complete: the container's separator or end comes next.
    private mutating func valueEnded() -> Bool {
        expect = closers.isEmpty ? .done : .commaOrEnd
        markSafe(inString: false)
        return true
    }

    /// The text up to and including the current byte is safe.
    private mutating func markSafe(inString: Bool) {
        safeCount = scanned + 1
        safeInString = inString
        safeClosers = closers.count
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
