/// Anthropic's `stop_reason` for an OpenAI `finish_reason`.
public enum StopReason {
    public static func anthropic(fromOpenAI finishReason: String?) -> String {
        switch finishReason {
        case "length": "max_tokens"
        case "tool_calls", "function_call": "tool_use"
        case "content_filter": "refusal"
        default: "end_turn"
        }
    }
}
