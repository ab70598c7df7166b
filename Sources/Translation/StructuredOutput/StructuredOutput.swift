import JSON

/// `output_config.format` upstream: OpenAI's `response_format` (the engines' guided decoding),
/// or, for an upstream that refuses it, the schema stated in the system message and the
/// answer checked afterwards.
public enum StructuredOutput {
    /// How the schema reaches the model.
    public enum Mode: Sendable, Equatable {
        /// `response_format: {"type": "json_schema", ...}`: the engine constrains decoding.
        case guided
        /// The schema in the system message; the answer is checked by `checkedAnswer`.
        case instructed
    }

    /// The name OpenAI's `json_schema` requires (`^[a-zA-Z0-9_-]{1,64}$`); Anthropic's format
    /// has none, and engines only log it.
    static let schemaName = "output"

    /// `{"type": "json_schema", "json_schema": {"name", "schema", "strict": true}}`.
    static func responseFormat(schema: JSONValue) -> JSONValue {
        ["type": "json_schema", "json_schema": ["name": JSONValue(schemaName), "schema": schema, "strict": true]]
    }

    /// What the system message says when the engine cannot constrain decoding.
    static func systemInstruction(schema: JSONValue) -> String {
        """
        Answer with a single JSON value that conforms to this JSON Schema, and nothing else: \
        no prose, no code fence.
        JSON Schema:
        \(schema.jsonText)
        """
    }

    /// Why an answer cannot be given as the structured output asked for.
    public struct Mismatch: Error, Sendable, Equatable, CustomStringConvertible {
        /// For a person: what was wrong with the model's answer.
        public var description: String
    }

    /// The JSON in a model's answer, checked against `schema`: the answer's text without a
    /// code fence or blank space around it. Throws when it is no JSON or
    /// does not match.
    public static func checkedAnswer(_ text: String, schema: JSONValue) throws(Mismatch) -> String {
        let candidate = unfenced(text)
        let value: JSONValue
        do {
            value = try JSONValue(parsing: String(candidate))
        } catch {
            throw Mismatch(description: "the model's answer is not JSON (\(error))")
        }
        do {
            try JSONSchemaValidator.validate(value, against: schema)
        } catch {
            throw Mismatch(description: "the model's answer does not match the schema at \(error)")
        }
        return String(candidate)
    }

    /// The text inside a Markdown code fence when the whole answer is one, else the text trimmed.
    static func unfenced(_ text: String) -> Substring {
        var body = Substring(text).trimmingWhitespace
        guard body.hasPrefix("```"), body.hasSuffix("```"), body.count >= 6 else { return body }
        body = body.dropFirst(3).dropLast(3)
        // The fence's language tag (```json) runs to the first line break.
        if let lineEnd = body.firstIndex(of: "\n") { body = body[body.index(after: lineEnd)...] }
        return body.trimmingWhitespace
    }
}
