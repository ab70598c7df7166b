/// RFC 3339 timestamps from Unix seconds, as Anthropic writes them (`created_at`, the
/// `anthropic-ratelimit-*-reset` headers) and as the log lines are stamped.
enum ISODate {
    /// `seconds` comes from the upstream: it is clamped to years 1970 to 9999, which also
    /// keeps the arithmetic below from overflowing.
    static func string(fromUnix unclamped: Int) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        append(fromUnix: unclamped, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `YYYY-MM-DDTHH:MM:SS` (no zone letter) appended as bytes, clamped as `string(fromUnix:)`:
    /// log lines are stamped with it without making a string.
    static func append(fromUnix unclamped: Int, to output: inout [UInt8]) {
        let seconds = min(max(unclamped, 0), 253_402_300_799)
        let days = seconds / 86400
        let secondOfDay = seconds - days * 86400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // The clamp keeps the year within 1970...9999: always four digits.
        appendDigits(year, count: 4, to: &output)
        output.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, to: &output)
        output.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, to: &output)
        output.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3600, count: 2, to: &output)
        output.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 3600 / 60, count: 2, to: &output)
        output.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, count: 2, to: &output)
    }

    /// The last `count` decimal digits of a non-negative `value`, zero-padded.
    static func appendDigits(_ value: Int, count: Int, to output: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var value = value
        while divisor > 0 {
            output.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            value %= divisor
            divisor /= 10
        }
    }
}
