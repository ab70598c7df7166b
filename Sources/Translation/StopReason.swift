/// Anthropic's `stop_reason` for an OpenAI `finish_reason`.
public enum StopReason {
    /// `end_turn`, `max_tokens`, `tool_use` or `refusal` for `finishReason`.
    public static func anthropic(fromOpenAI finishReason: String?) -> String {
        switch finishReason {
        case "length": "max_tokens"
        case "tool_calls", "function_call": "tool_use"
        case "content_filter": "refusal"
        default: "end_turn"
        }
    }
}
