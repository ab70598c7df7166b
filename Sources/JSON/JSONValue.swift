/// A JSON value that keeps object key order and numbers exactly as written.
///
/// Strings parsed from input keep their raw bytes and are decoded only when asked, so text
/// that passes through the proxy unchanged is never decoded and re-encoded.
public enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(JSONString)
    case array([JSONValue])
    case object(JSONObject)

    public init(_ text: String) { self = .string(JSONString(text)) }
    public init(_ integer: Int) { self = .number(JSONNumber(integer)) }
    public init(_ double: Double) { self = .number(JSONNumber(double)) }
    public init(_ bool: Bool) { self = .bool(bool) }

    /// The member `key` of an object (the last one if repeated); nil otherwise.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    /// The element at `index` of an array; nil otherwise or out of range.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    public var stringValue: String? {
        guard case .string(let string) = self else { return nil }
        return string.value
    }

    /// The string as a `JSONString`, not decoded: for text that passes through unchanged.
    public var jsonString: JSONString? {
        guard case .string(let string) = self else { return nil }
        return string
    }

    public var intValue: Int? {
        guard case .number(let number) = self else { return nil }
        return number.intValue
    }

    public var doubleValue: Double? {
        guard case .number(let number) = self else { return nil }
        return number.doubleValue
    }

    public var boolValue: Bool? {
        guard case .bool(let bool) = self else { return nil }
        return bool
    }

    public var arrayValue: [JSONValue]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }

    public var objectValue: JSONObject? {
        guard case .object(let object) = self else { return nil }
        return object
    }

    public var isNull: Bool { self == .null }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(JSONString(value)) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}
