/// A reply in RESP2, the Redis serialization protocol (Valkey speaks it too).
enum RESPValue: Sendable, Equatable {
    case simple(String)
    case error(String)
    case integer(Int)
    /// nil: the null bulk string.
    case bulk([UInt8]?)
    /// nil: the null array.
    case array([RESPValue]?)
}

/// Writes commands and reads replies of RESP2.
enum RESP {
    /// A command as an array of bulk strings: `*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`.
    static func command(_ words: [String]) -> [UInt8] {
        var bytes = Array("*\(words.count)\r\n".utf8)
        for word in words {
            bytes += Array("$\(word.utf8.count)\r\n".utf8)
            bytes += Array(word.utf8)
            bytes += [13, 10]
        }
        return bytes
    }

    /// The largest reply read: the proxy's replies are a few counters.
    static let maximumReplyBytes = 1 << 20

    /// A malformed reply: the connection is dropped.
    struct ProtocolError: Error, Sendable, Equatable {
        let problem: String
    }

    /// The first whole reply in `bytes` and how many bytes it took, or nil when more bytes
    /// are needed.
    static func parse(_ bytes: ArraySlice<UInt8>) throws(ProtocolError) -> (RESPValue, consumed: Int)? {
        var index = bytes.startIndex
        guard let value = try parse(bytes, at: &index, depth: 0) else { return nil }
        return (value, index - bytes.startIndex)
    }

    private static func parse(_ bytes: ArraySlice<UInt8>, at index: inout Int, depth: Int) throws(ProtocolError) -> RESPValue? {
        guard depth < 8 else { throw ProtocolError(problem: "replies nested too deep") }
        guard index < bytes.endIndex else { return nil }
        let kind = bytes[index]
        guard let lineEnd = lineEnd(bytes, from: index + 1) else {
            guard bytes.endIndex - index < 4096 else { throw ProtocolError(problem: "a reply line longer than 4 KiB") }
            return nil
        }
        let line = String(decoding: bytes[(index + 1)..<lineEnd], as: UTF8.self)
        var next = lineEnd + 2
        let value: RESPValue
        switch kind {
        case UInt8(ascii: "+"):
            value = .simple(line)
        case UInt8(ascii: "-"):
            value = .error(line)
        case UInt8(ascii: ":"):
            guard let number = Int(line) else { throw ProtocolError(problem: "an integer reply '\(line)'") }
            value = .integer(number)
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1, length <= maximumReplyBytes else { throw ProtocolError(problem: "a bulk length '\(line)'") }
            if length == -1 {
                value = .bulk(nil)
            } else {
                guard bytes.endIndex - next >= length + 2 else { return nil }
                value = .bulk(Array(bytes[next..<(next + length)]))
                next += length + 2
            }
        case UInt8(ascii: "*"):
            guard let count = Int(line), count >= -1, count <= 1024 else { throw ProtocolError(problem: "an array length '\(line)'") }
            if count == -1 {
                value = .array(nil)
            } else {
                var elements: [RESPValue] = []
                for _ in 0..<count {
                    guard let element = try parse(bytes, at: &next, depth: depth + 1) else { return nil }
                    elements.append(element)
                }
                value = .array(elements)
            }
        default:
            throw ProtocolError(problem: "a reply starting with byte \(kind)")
        }
        index = next
        return value
    }

    private static func lineEnd(_ bytes: ArraySlice<UInt8>, from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.endIndex {
            if bytes[index] == 13 && bytes[index + 1] == 10 { return index }
            index += 1
        }
        return nil
    }
}
