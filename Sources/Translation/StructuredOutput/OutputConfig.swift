import JSON

/// A request's `output_config`, checked: how hard the model should think and the JSON Schema
/// its answer must follow.
public struct OutputConfig: Sendable, Equatable {
    /// `output_config.effort`.
    public var effort: Effort?
    /// `output_config.format.schema` (`format.type` is `json_schema`, the only kind there is).
    public var schema: JSONValue?

    /// No effort and no format.
    public init(effort: Effort? = nil, schema: JSONValue? = nil) {
        self.effort = effort
        self.schema = schema
    }

    /// Reads `output_config` (absent or null: empty); throws the 400 Anthropic's API answers
    /// for a value of the wrong shape, naming the field.
    public static func parse(_ value: JSONValue?) throws(TranslationError) -> OutputConfig {
        guard let value, !value.isNull else { return OutputConfig() }
        guard value.objectValue != nil else { throw .wrongType("output_config", expected: "a valid dictionary") }
        var config = OutputConfig()
        if let effort = value["effort"], !effort.isNull {
            guard let name = effort.stringValue, let level = Effort(rawValue: name) else {
                throw TranslationError(field: "output_config.effort", message: "Input should be 'low', 'medium', 'high', 'xhigh' or 'max'")
            }
            config.effort = level
        }
        if let format = value["format"], !format.isNull {
            guard format.objectValue != nil else { throw .wrongType("output_config.format", expected: "a valid dictionary") }
            guard let type = format["type"] else { throw .missing("output_config.format.type") }
            guard type.stringValue == "json_schema" else { throw TranslationError(field: "output_config.format.type", message: "Input should be 'json_schema'") }
            guard let schema = format["schema"] else { throw .missing("output_config.format.schema") }
            guard schema.objectValue != nil else { throw .wrongType("output_config.format.schema", expected: "a valid dictionary") }
            config.schema = schema
        }
        return config
    }
}

/// `output_config.effort`, and what each level becomes upstream. OpenAI-compatible engines
/// take `reasoning_effort` `low`, `medium` or `high` (vLLM and sglang validate it against
/// those three), so the two levels above `high` send `high`; a family whose chat template
/// reads a budget of its own gets it in `chat_template_kwargs` as well.
public enum Effort: String, Sendable, CaseIterable {
    case low, medium, high, xhigh, max

    /// The `reasoning_effort` sent.
    public var reasoningEffort: String {
        switch self {
        case .low: "low"
        case .medium: "medium"
        case .high, .xhigh, .max: "high"
        }
    }

    /// Seed-OSS's chat template reads `thinking_budget` (tokens, -1 for no limit) and ignores
    /// `reasoning_effort`; its model card recommends multiples of 512.
    public var seedThinkingBudget: Int {
        switch self {
        case .low: 1024
        case .medium: 4096
        case .high: 16384
        case .xhigh: 32768
        case .max: -1
        }
    }

    /// The effort a `thinking.budget_tokens` stands for, when no effort is given.
    static func forBudget(_ budget: Int) -> Effort {
        budget < 4096 ? .low : budget < 16384 ? .medium : .high
    }
}
