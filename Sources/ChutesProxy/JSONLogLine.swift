import Glibc
import JSON
import Logging

/// One JSON log line written field by field straight into bytes:
/// `{"time":"...","level":"...","message":"..."`, then each field in the order added, then
/// `}` and a newline.
///
/// `ProxyLogHandler` writes every JSON line through it, adding metadata in sorted key order.
/// The access line, written for every request, is built with it directly (`AccessLog`),
/// adding its fields in that same order: the same bytes, without a `Logger.Metadata`
/// dictionary to fill, sort and box values into.
struct JSONLogLine {
    private(set) var bytes: [UInt8] = []

    /// Starts a line stamped now.
    init(level: Logger.Level, message: String) {
        bytes.reserveCapacity(400)
        bytes += #"{"time":""#.utf8
        Self.appendTimestamp(to: &bytes)
        bytes += #"","level":""#.utf8
        bytes += level.rawValue.utf8
        bytes += #"","message":"#.utf8
        JSONValue(message).write(into: &bytes)
    }

    /// `,"key":value` for a key that needs no escaping (the access line's own keys).
    mutating func add(_ key: StaticString, _ value: JSONValue) {
        bytes += ",\"".utf8
        key.withUTF8Buffer { bytes += $0 }
        bytes += "\":".utf8
        value.write(into: &bytes)
    }

    mutating func add(_ key: StaticString, _ text: String) { add(key, JSONValue(text)) }
    mutating func add(_ key: StaticString, _ number: Int) { add(key, JSONValue(number)) }
    mutating func add(_ key: StaticString, _ flag: Bool) { add(key, JSONValue(flag)) }
    /// A number of milliseconds with microsecond precision (see `AccessLog.milliseconds`).
    mutating func add(_ key: StaticString, milliseconds duration: Duration) { add(key, JSONValue(AccessLog.milliseconds(duration))) }

    /// `,"key":value` for any key (escaped as a JSON string).
    mutating func add(_ key: String, _ value: JSONValue) {
        bytes.append(UInt8(ascii: ","))
        JSONValue(key).write(into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        value.write(into: &bytes)
    }

    /// The whole line, closed and ended with a newline.
    consuming func finished() -> [UInt8] {
        bytes += "}\n".utf8
        return bytes
    }

    /// Now, as `2026-11-25T15:40:02.123Z` (RFC 3339, UTC, milliseconds).
    static func appendTimestamp(to output: inout [UInt8]) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        ISODate.append(fromUnix: now.tv_sec, to: &output)
        output.append(UInt8(ascii: "."))
        ISODate.appendDigits(now.tv_nsec / 1_000_000, count: 3, to: &output)
        output.append(UInt8(ascii: "Z"))
    }
}
