import JSON

/// The tools a request declared, for matching names a model wrote and typing its values.
public struct DeclaredTools: Sendable {
    private let schemas: [(name: String, inputSchema: JSONValue)]

    /// The tools a request declares, with their input schemas (for typing argument values).
    public init(_ tools: [(name: String, inputSchema: JSONValue)]) {
        schemas = tools
    }

    /// Whether the request declared no tool.
    public var isEmpty: Bool { schemas.isEmpty }

    /// The declared spelling of `name`: exact, then ignoring case; nil when undeclared.
    public func resolve(_ name: String) -> String? {
        if schemas.contains(where: { $0.name == name }) { return name }
        let lowered = name.lowercased()
        return schemas.first { $0.name.lowercased() == lowered }?.name
    }

    /// The JSON-schema type of a parameter (the first non-null one of a type list).
    func parameterType(tool: String, parameter: String) -> String? {
        guard let schema = schemas.first(where: { $0.name == tool })?.inputSchema,
            let property = schema["properties"]?[parameter]
        else { return nil }
        if let type = property["type"]?.stringValue { return type }
        return property["type"]?.arrayValue?.compactMap(\.stringValue).first { $0 != "null" }
    }

    /// A value written as text, typed by the tool's schema (strings stay as written).
    func typedValue(_ text: String, tool: String, parameter: String) -> JSONValue {
        switch parameterType(tool: tool, parameter: parameter) {
        case "integer":
            if let integer = Int(text.trimmedWhitespace) { return JSONValue(integer) }
        case "number":
            if let number = JSONNumber(text: text.trimmedWhitespace) { return .number(number) }
        case "boolean":
            switch text.trimmedWhitespace.lowercased() {
            case "true": return true
            case "false": return false
            default: break
            }
        case "object", "array":
            if let value = JSONValue.lenient(text), value.objectValue != nil || value.arrayValue != nil { return value }
        case "null":
            if text.trimmedWhitespace == "null" { return .null }
        default:
            break
        }
        return JSONValue(text)
    }
}

/// A tool call parsed out of text, with the declared tool name.
struct ParsedToolCall: Sendable, Equatable {
    var name: String
    var arguments: JSONValue

    var intercepted: InterceptedText { .toolCall(name: name, argumentsJSON: arguments.jsonText) }
}
