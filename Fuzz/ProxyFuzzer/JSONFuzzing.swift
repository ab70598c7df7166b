import JSON

/// The JSON parser, strict and lenient: no input traps, and whatever parses writes back to
/// text that parses to the same value.
enum JSONFuzzing {
    static func strict(_ input: [UInt8]) {
        guard let value = try? JSONValue(parsing: input) else { return }
        roundTrip(value, from: "strict")
    }

    static func lenient(_ input: [UInt8]) {
        guard let value = JSONValue.lenient(String(decoding: input, as: UTF8.self)) else { return }
        roundTrip(value, from: "lenient")
    }

    private static func roundTrip(_ value: JSONValue, from parser: String) {
        let written = value.serialized()
        guard let again = try? JSONValue(parsing: written) else {
            fuzzFailure("\(parser): written JSON does not parse: \(String(decoding: written, as: UTF8.self))")
        }
        if again != value { fuzzFailure("\(parser): round trip changed the value: \(String(decoding: written, as: UTF8.self))") }
    }
}
