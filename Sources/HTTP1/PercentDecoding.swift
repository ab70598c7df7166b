/// RFC 3986 percent-encoding undone, for the path segments and query components a server
/// reads: clients encode what is not safe in them (the Anthropic SDK sends the model id
/// `zai-org/GLM-4.6` as `zai-org%2FGLM-4.6`).
public enum PercentDecoding {
    /// `text` with each `%XX` replaced by that byte and, with `plusIsSpace` (a query's form
    /// encoding), each `+` by a space; nil when a `%` is not followed by two hexadecimal digits
    /// or the bytes are not UTF-8.
    public static func decode<Text: StringProtocol>(_ text: Text, plusIsSpace: Bool = false) -> String? {
        let utf8 = text.utf8
        // Almost every segment needs no decoding: kept as it is.
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            index = utf8.index(after: index)
            switch byte {
            case UInt8(ascii: "%"):
                guard index != utf8.endIndex, let high = hexValue(utf8[index]) else { return nil }
                index = utf8.index(after: index)
                guard index != utf8.endIndex, let low = hexValue(utf8[index]) else { return nil }
                index = utf8.index(after: index)
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
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

extension HTTPRequestHead {
    /// The query's `name=value` pairs in order, decoded (`+` is a space; a name without `=`
    /// has an empty value); nil when one is not valid percent-encoding. Empty without a query.
    public var queryItems: [(name: String, value: String)]? {
        guard let query else { return [] }
        var items: [(name: String, value: String)] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: "=")
            guard let name = PercentDecoding.decode(pair[..<(equals ?? pair.endIndex)], plusIsSpace: true),
                let value = PercentDecoding.decode(equals.map { pair[pair.index(after: $0)...] } ?? "", plusIsSpace: true)
            else { return nil }
            items.append((name, value))
        }
        return items
    }
}
