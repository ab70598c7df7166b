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

    /// A string value.
    public init(_ text: String) { self = .string(JSONString(text)) }
    /// A whole number.
    public init(_ integer: Int) { self = .number(JSONNumber(integer)) }
    /// A number, written in its shortest exact form.
    public init(_ double: Double) { self = .number(JSONNumber(double)) }
    /// `true` or `false`.
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

    /// The decoded text of a string; nil for any other kind of value.
    public var stringValue: String? {
        guard case .string(let string) = self else { return nil }
        return string.value
    }

    /// The string as a `JSONString`, not decoded: for text that passes through unchanged.
    public var jsonString: JSONString? {
        guard case .string(let string) = self else { return nil }
        return string
    }

    /// A number that is a whole number fitting `Int`; nil otherwise.
    public var intValue: Int? {
        guard case .number(let number) = self else { return nil }
        return number.intValue
    }

    /// A number as a `Double`; nil for any other kind of value.
    public var doubleValue: Double? {
        guard case .number(let number) = self else { return nil }
        return number.doubleValue
    }

    /// `true` or `false`; nil for any other kind of value.
    public var boolValue: Bool? {
        guard case .bool(let bool) = self else { return nil }
        return bool
    }

    /// The elements of an array; nil for any other kind of value.
    public var arrayValue: [JSONValue]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }

    /// The members of an object, in order; nil for any other kind of value.
    public var objectValue: JSONObject? {
        guard case .object(let object) = self else { return nil }
        return object
    }

    /// Whether this is JSON `null`.
    public var isNull: Bool { self == .null }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// `"text"` as a JSON string.
    public init(stringLiteral value: String) { self = .string(JSONString(value)) }
    /// `42` as a JSON number.
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    /// `1.5` as a JSON number.
    public init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
    /// `true` as a JSON boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// `nil` as JSON `null`.
    public init(nilLiteral: ()) { self = .null }
    /// `[a, b]` as a JSON array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// `["key": value]` as a JSON object, keys in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}
