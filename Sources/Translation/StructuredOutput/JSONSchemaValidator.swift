import JSON

/// Checks a JSON value against a JSON Schema: the subset pydantic and the SDKs emit for
/// structured outputs (`type`, `properties`, `required`, `items`, `enum`, `const`, `anyOf`,
/// `oneOf`, `allOf`, `additionalProperties`, `$ref` into `$defs` or `definitions`, `nullable`).
/// Keywords outside it (formats, patterns, lengths) are not checked: guided decoding upstream
/// is what enforces them, and this check is the fallback's safety net, not a full validator.
///
/// The work is bounded whatever the schema: every schema node visited costs one step, and a
/// check may take `baseSteps` plus `stepsPerValue` for each value in the document (`anyOf`
/// over nested `anyOf` would otherwise be exponential); `$ref` chains and nesting stop at
/// `maxDepth`. Running out is a failure, never a pass.
public struct JSONSchemaValidator: Sendable {
    /// Why a value does not match.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Where in the value, as a JSON-pointer-like path (`$.items.2.name`).
        public var path: String
        /// What is wrong, for a person.
        public var reason: String

        /// `path: reason`.
        public var description: String { "\(path): \(reason)" }
    }

    /// The steps any check may take, however small the document.
    public static let baseSteps = 10_000
    /// The steps each value of the document adds: a schema visits a value a few times
    /// (`allOf`, `anyOf` alternatives, a `$ref`), not thousands.
    public static let stepsPerValue = 16
    /// The deepest nesting of values and `$ref`s followed.
    public static let maxDepth = 128

    private let root: JSONValue
    private var steps = 0
    private var maxSteps = baseSteps

    /// A validator for `schema` (the root that `$ref`s resolve against).
    public init(schema: JSONValue) {
        root = schema
    }

    /// Throws the first mismatch found.
    public static func validate(_ value: JSONValue, against schema: JSONValue) throws(Failure) {
        var validator = JSONSchemaValidator(schema: schema)
        let (scaled, overflowed) = valueCount(value).multipliedReportingOverflow(by: stepsPerValue)
        let (budget, overflowedAgain) = baseSteps.addingReportingOverflow(scaled)
        validator.maxSteps = overflowed || overflowedAgain ? .max : budget
        try validator.check(value, schema, path: "$", depth: 0)
    }

    /// The values in a document, containers included.
    static func valueCount(_ value: JSONValue) -> Int {
        switch value {
        case .array(let elements): elements.reduce(1) { $0 + valueCount($1) }
        case .object(let object): object.reduce(1) { $0 + valueCount($1.value) }
        default: 1
        }
    }

    private mutating func check(_ value: JSONValue, _ schema: JSONValue, path: String, depth: Int) throws(Failure) {
        steps += 1
        guard steps <= maxSteps else { throw Failure(path: path, reason: "the schema takes more than \(maxSteps) steps to check") }
        guard depth <= Self.maxDepth else { throw Failure(path: path, reason: "nested deeper than \(Self.maxDepth)") }
        if let bool = schema.boolValue {
            if bool { return }
            throw Failure(path: path, reason: "no value is allowed here")
        }
        guard let schema = schema.objectValue else { return }
        if let reference = schema["$ref"]?.stringValue {
            guard let target = resolve(reference) else { throw Failure(path: path, reason: "unresolvable $ref \(reference)") }
            try check(value, target, path: path, depth: depth + 1)
        }
        if schema["nullable"]?.boolValue == true, value.isNull { return }
        if let type = schema["type"] { try checkType(value, type, path: path) }
        if let options = schema["enum"]?.arrayValue, !options.contains(where: { Self.equal($0, value) }) {
            throw Failure(path: path, reason: "not one of the allowed values")
        }
        if let constant = schema["const"], !Self.equal(constant, value) {
            throw Failure(path: path, reason: "not the required constant \(constant.jsonText)")
        }
        if let all = schema["allOf"]?.arrayValue {
            for part in all { try check(value, part, path: path, depth: depth + 1) }
        }
        if let any = schema["anyOf"]?.arrayValue {
            try checkAlternatives(value, any, path: path, depth: depth, exactlyOne: false)
        }
        if let one = schema["oneOf"]?.arrayValue {
            try checkAlternatives(value, one, path: path, depth: depth, exactlyOne: true)
        }
        if let object = value.objectValue {
            try checkObject(object, schema, path: path, depth: depth)
        } else if let elements = value.arrayValue {
            if let items = schema["items"] {
                for (index, element) in elements.enumerated() { try check(element, items, path: "\(path).\(index)", depth: depth + 1) }
            }
            if let prefix = schema["prefixItems"]?.arrayValue {
                for (index, element) in elements.prefix(prefix.count).enumerated() { try check(element, prefix[index], path: "\(path).\(index)", depth: depth + 1) }
            }
        }
    }

    private mutating func checkAlternatives(_ value: JSONValue, _ alternatives: [JSONValue], path: String, depth: Int, exactlyOne: Bool) throws(Failure) {
        var matches = 0
        for alternative in alternatives {
            do {
                try check(value, alternative, path: path, depth: depth + 1)
                matches += 1
                if !exactlyOne { return }
            } catch {
                // Running out of steps is final: it must not read as "this alternative failed".
                if steps > maxSteps { throw error }
            }
        }
        if matches == 0 { throw Failure(path: path, reason: "matches none of the \(exactlyOne ? "oneOf" : "anyOf") alternatives") }
        if exactlyOne && matches > 1 { throw Failure(path: path, reason: "matches \(matches) of the oneOf alternatives, not exactly one") }
    }

    private mutating func checkObject(_ object: JSONObject, _ schema: JSONObject, path: String, depth: Int) throws(Failure) {
        let properties = schema["properties"]?.objectValue
        for name in schema["required"]?.arrayValue ?? [] {
            guard let name = name.stringValue else { continue }
            if object[name] == nil { throw Failure(path: path, reason: "required property \"\(name)\" is missing") }
        }
        let additional = schema["additionalProperties"]
        for (key, member) in object {
            if let propertySchema = properties?[key] {
                try check(member, propertySchema, path: "\(path).\(key)", depth: depth + 1)
            } else if let additional {
                if additional.boolValue == false { throw Failure(path: path, reason: "property \"\(key)\" is not allowed") }
                try check(member, additional, path: "\(path).\(key)", depth: depth + 1)
            }
        }
    }

    private func checkType(_ value: JSONValue, _ type: JSONValue, path: String) throws(Failure) {
        let names = type.arrayValue?.compactMap(\.stringValue) ?? type.stringValue.map { [$0] } ?? []
        guard !names.isEmpty else { return }
        if names.contains(where: { Self.has(value, type: $0) }) { return }
        throw Failure(path: path, reason: "expected \(names.joined(separator: " or ")), got \(Self.typeName(value))")
    }

    private static func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number(let number)): number.intValue != nil || (number.doubleValue.rounded() == number.doubleValue && number.doubleValue.isFinite)
        default: false
        }
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// JSON equality, numbers by value (1 and 1.0 are equal).
    private static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        if case .number(let left) = lhs, case .number(let right) = rhs { return left.text == right.text || left.doubleValue == right.doubleValue }
        return lhs == rhs
    }

    /// `#/$defs/Name` or `#/definitions/Name` (and `#` for the root); nothing else.
    private func resolve(_ reference: String) -> JSONValue? {
        if reference == "#" { return root }
        guard reference.hasPrefix("#/") else { return nil }
        var node = root
        for part in reference.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let key = Self.unescapePointer(part)
            guard let next = node[key] else { return nil }
            node = next
        }
        return node
    }

    /// A JSON-pointer segment with `~1` and `~0` decoded (RFC 6901, in that order).
    private static func unescapePointer(_ segment: Substring) -> String {
        guard segment.contains("~") else { return String(segment) }
        var result = ""
        var iterator = segment.makeIterator()
        while let character = iterator.next() {
            guard character == "~" else {
                result.append(character)
                continue
            }
            switch iterator.next() {
            case "1": result.append("/")
            case "0": result.append("~")
            case let other?: result.append("~"); result.append(other)
            case nil: result.append("~")
            }
        }
        return result
    }
}
