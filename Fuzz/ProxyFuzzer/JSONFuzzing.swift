import JSON
import Translation

/// The JSON parser, strict and lenient: no input traps, and whatever parses writes back to
/// text that parses to the same value. The strict target also holds the tree-less readers to
/// the parser: `JSONReader` accepts exactly what it accepts, and a stream chunk read from the
/// bytes equals the chunk read from the tree.
enum JSONFuzzing {
    static func strict(_ input: [UInt8]) {
        let value = try? JSONValue(parsing: input)
        let readable = (try? JSONReader.read(input) { _ throws(JSONParseError) in }) != nil
        if readable != (value != nil) { fuzzFailure("strict: JSONReader \(readable ? "accepts" : "refuses") what the parser does not") }
        let chunk = try? StreamChunk(parsing: input)
        if chunk != value.map({ StreamChunk($0) }) {
            fuzzFailure("strict: the stream chunk read from bytes differs from the tree's: \(String(describing: chunk)) vs \(String(describing: value))")
        }
        guard let value else { return }
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
