extension JSONValue {
    /// Appends compact JSON. Strings and numbers taken from parsed input are copied verbatim.
    public func write(into output: inout [UInt8]) {
        switch self {
        case .null: output += "null".utf8
        case .bool(let bool): output += (bool ? "true" : "false").utf8
        case .number(let number): output += number.text.utf8
        case .string(let string): string.write(into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            var first = true
            for member in object {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                JSONEscapes.appendQuoted(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                member.value.write(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// The compact JSON bytes.
    public func serialized() -> [UInt8] {
        serialized(reservingCapacity: 256)
    }

    /// The compact JSON bytes, written into one buffer of `capacity` bytes to begin with:
    /// a body about as long as a known input (a translated request) then grows no more.
    public func serialized(reservingCapacity capacity: Int) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(capacity)
        write(into: &output)
        return output
    }

    /// The compact JSON text.
    public var jsonText: String { String(decoding: serialized(), as: UTF8.self) }
}

extension JSONString {
    /// Appends the string in quotes; parsed input is copied verbatim.
    public func write(into output: inout [UInt8]) {
        switch storage {
        case .text(let text):
            JSONEscapes.appendQuoted(text, to: &output)
        case .raw(let bytes, _):
            output.append(UInt8(ascii: "\""))
            output.append(contentsOf: bytes)
            output.append(UInt8(ascii: "\""))
        }
    }
}
