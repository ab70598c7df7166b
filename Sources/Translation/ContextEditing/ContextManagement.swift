import JSON

/// A request's `context_management.edits`, checked, with Anthropic's defaults filled in.
/// The upstream can do none of them, so the proxy applies them to the request before it is
/// translated (`ContextEditor`), the way Anthropic's API applies them before the model sees it.
public struct ContextManagement: Sendable, Equatable {
    /// `clear_thinking_20251015`: thinking blocks of older assistant turns removed.
    public struct ClearThinking: Sendable, Equatable {
        /// Assistant turns (the most recent) whose thinking is kept; nil keeps all.
        public var keepTurns: Int?
    }

    /// `clear_tool_uses_20250919`: the results (and optionally inputs) of older tool uses
    /// replaced by a placeholder once the prompt passes a trigger.
    public struct ClearToolUses: Sendable, Equatable {
        /// What starts the clearing: the prompt's input tokens, or its number of tool uses.
        public enum Trigger: Sendable, Equatable {
            case inputTokens(Int)
            case toolUses(Int)
        }

        /// Default: 100,000 input tokens.
        public var trigger = Trigger.inputTokens(100_000)
        /// The most recent tool uses left as they are. Default: 3.
        public var keep = 3
        /// Clear only when at least this many input tokens go. Default: none.
        public var clearAtLeast: Int?
        /// Tools whose uses are never cleared.
        public var excludeTools: Set<String> = []
        /// Whose inputs are cleared too: none (the default), all, or the tools named.
        public var clearToolInputs = ClearInputs.none

        /// `clear_tool_inputs`.
        public enum ClearInputs: Sendable, Equatable {
            case none, all
            case tools(Set<String>)

            func clears(_ name: String) -> Bool {
                switch self {
                case .none: false
                case .all: true
                case .tools(let names): names.contains(name)
                }
            }
        }
    }

    /// `compact_20260112`: past the trigger, the conversation so far summarized into a
    /// compaction block that replaces it.
    public struct Compact: Sendable, Equatable {
        /// Input tokens past which the conversation is compacted. Default: 150,000.
        public var triggerTokens = 150_000
        /// Replaces the default summarization prompt.
        public var instructions: String?
        /// Answer with the compaction block alone (`stop_reason: "compaction"`).
        public var pauseAfterCompaction = false

        /// Anthropic's defaults.
        public init() {}
    }

    /// The clearing edits, in the order given.
    public enum Clearing: Sendable, Equatable {
        case thinking(ClearThinking)
        case toolUses(ClearToolUses)
    }

    /// The clearing edits in request order.
    public var clearing: [Clearing] = []
    /// The compaction edit, when asked for.
    public var compact: Compact?

    /// The most edits a request may list: each kind once is all that makes sense.
    public static let maxEdits = 8

    /// Reads `context_management` (absent or null: nil); throws the 400 Anthropic's API
    /// answers for a malformed one, naming the field.
    public static func parse(_ value: JSONValue?) throws(TranslationError) -> ContextManagement? {
        guard let value, !value.isNull else { return nil }
        guard value.objectValue != nil else { throw .wrongType("context_management", expected: "a valid dictionary") }
        var management = ContextManagement()
        guard let editsValue = value["edits"], !editsValue.isNull else { return management }
        guard let edits = editsValue.arrayValue else { throw .wrongType("context_management.edits", expected: "a valid list") }
        guard edits.count <= maxEdits else { throw TranslationError(field: "context_management.edits", message: "List should have at most \(maxEdits) items") }
        for (index, edit) in edits.enumerated() {
            let field = "context_management.edits.\(index)"
            guard edit.objectValue != nil else { throw .wrongType(field, expected: "a valid dictionary") }
            guard let type = edit["type"]?.stringValue else { throw .missing("\(field).type") }
            switch type {
            case "clear_thinking_20251015":
                management.clearing.append(.thinking(try clearThinking(edit, field: field)))
            case "clear_tool_uses_20250919":
                management.clearing.append(.toolUses(try clearToolUses(edit, field: field)))
            case "compact_20260112":
                guard management.compact == nil else { throw TranslationError(field: "\(field).type", message: "compact_20260112 may be given once") }
                management.compact = try compact(edit, field: field)
            default:
                throw TranslationError(
                    field: "\(field).type", message: "Input tag '\(type.prefix(64))' does not match 'clear_thinking_20251015', 'clear_tool_uses_20250919' or 'compact_20260112'")
            }
        }
        return management
    }

    private static func clearThinking(_ edit: JSONValue, field: String) throws(TranslationError) -> ClearThinking {
        guard let keep = edit["keep"], !keep.isNull else { return ClearThinking(keepTurns: 1) }
        if keep.stringValue == "all" || keep["type"]?.stringValue == "all" { return ClearThinking(keepTurns: nil) }
        guard keep["type"]?.stringValue == "thinking_turns" else {
            throw TranslationError(field: "\(field).keep", message: "Input should be 'all', {\"type\": \"all\"} or {\"type\": \"thinking_turns\", \"value\": N}")
        }
        return ClearThinking(keepTurns: try count(keep["value"], field: "\(field).keep.value", atLeast: 0))
    }

    private static func clearToolUses(_ edit: JSONValue, field: String) throws(TranslationError) -> ClearToolUses {
        var clearing = ClearToolUses()
        if let trigger = edit["trigger"], !trigger.isNull {
            let value = try count(trigger["value"], field: "\(field).trigger.value", atLeast: 1)
            switch trigger["type"]?.stringValue {
            case "input_tokens": clearing.trigger = .inputTokens(value)
            case "tool_uses": clearing.trigger = .toolUses(value)
            default: throw TranslationError(field: "\(field).trigger.type", message: "Input should be 'input_tokens' or 'tool_uses'")
            }
        }
        if let keep = edit["keep"], !keep.isNull {
            guard keep["type"]?.stringValue == "tool_uses" else { throw TranslationError(field: "\(field).keep.type", message: "Input should be 'tool_uses'") }
            clearing.keep = try count(keep["value"], field: "\(field).keep.value", atLeast: 0)
        }
        if let least = edit["clear_at_least"], !least.isNull {
            guard least["type"]?.stringValue == "input_tokens" else { throw TranslationError(field: "\(field).clear_at_least.type", message: "Input should be 'input_tokens'") }
            clearing.clearAtLeast = try count(least["value"], field: "\(field).clear_at_least.value", atLeast: 0)
        }
        if let exclude = edit["exclude_tools"], !exclude.isNull {
            clearing.excludeTools = try names(exclude, field: "\(field).exclude_tools")
        }
        if let inputs = edit["clear_tool_inputs"], !inputs.isNull {
            if let flag = inputs.boolValue {
                clearing.clearToolInputs = flag ? .all : .none
            } else {
                clearing.clearToolInputs = .tools(try names(inputs, field: "\(field).clear_tool_inputs"))
            }
        }
        return clearing
    }

    private static func compact(_ edit: JSONValue, field: String) throws(TranslationError) -> Compact {
        var compact = Compact()
        if let trigger = edit["trigger"], !trigger.isNull {
            guard trigger["type"]?.stringValue == "input_tokens" else { throw TranslationError(field: "\(field).trigger.type", message: "Input should be 'input_tokens'") }
            compact.triggerTokens = try count(trigger["value"], field: "\(field).trigger.value", atLeast: 1)
        }
        if let instructions = edit["instructions"], !instructions.isNull {
            guard let text = instructions.stringValue else { throw .wrongType("\(field).instructions", expected: "a valid string") }
            compact.instructions = text
        }
        if let pause = edit["pause_after_compaction"], !pause.isNull {
            guard let flag = pause.boolValue else { throw .wrongType("\(field).pause_after_compaction", expected: "a valid boolean") }
            compact.pauseAfterCompaction = flag
        }
        return compact
    }

    /// A whole number from the client, at least `atLeast`; anything else (a fraction, a
    /// number past `Int`, a string) is the client's mistake.
    private static func count(_ value: JSONValue?, field: String, atLeast minimum: Int) throws(TranslationError) -> Int {
        guard let value else { throw .missing(field) }
        guard let number = value.intValue else { throw .wrongType(field, expected: "a valid integer") }
        guard number >= minimum else { throw TranslationError(field: field, message: "Input should be greater than or equal to \(minimum)") }
        return number
    }

    private static func names(_ value: JSONValue, field: String) throws(TranslationError) -> Set<String> {
        guard let list = value.arrayValue else { throw .wrongType(field, expected: "a valid list of tool names") }
        var names: Set<String> = []
        for (index, name) in list.enumerated() {
            guard let name = name.stringValue else { throw .wrongType("\(field).\(index)", expected: "a valid string") }
            names.insert(name)
        }
        return names
    }
}
