/// Fits `max_tokens` to what a model's list entry says it can do, so the upstream does not
/// refuse the request: at most `max_output_length`, and small enough that the estimated
/// prompt plus `max_tokens` fits the context window with a margin for the estimate's error.
/// A prompt that alone clearly exceeds the window is refused the way Anthropic's API does
/// ("prompt is too long"), which makes Claude Code compact the conversation.
enum ModelLimits {
    /// `max_tokens` is never lowered below this (or the client's own smaller value) to fit a
    /// window: a prompt that leaves less room is the upstream's to refuse.
    static let floor = 1024

    /// The `max_tokens` to send. `estimatePrompt` is called only when the cheap bound (the
    /// body's size in bytes, which no estimate exceeds for text) cannot settle it. Every
    /// number here is a client's or the upstream's, so every sum saturates: no combination of
    /// them can trap.
    static func maxTokens(requested: Int, info: ModelInfo, bodyBytes: Int, hasImages: Bool, estimatePrompt: () -> Int) throws(AnthropicError) -> Int {
        var maxTokens = requested
        if let output = info.maxOutputLength { maxTokens = min(maxTokens, output) }
        guard let window = info.contextLength else { return maxTokens }
        // Room left as a saturating difference: a sum that saturated would compare as equal to a window of `Int.max`.
        if !hasImages && maxTokens <= window.saturatingSubtract(bodyBytes).saturatingSubtract(margin(forPrompt: bodyBytes)) { return maxTokens }
        let prompt = estimatePrompt()
        if isClearlyTooLong(prompt: prompt, window: window) {
            throw AnthropicError(status: .badRequest, type: "invalid_request_error", message: "prompt is too long: \(prompt) tokens > \(window) maximum")
        }
        let room = window.saturatingSubtract(prompt).saturatingSubtract(margin(forPrompt: prompt))
        return min(maxTokens, max(room, min(floor, maxTokens)))
    }

    /// The estimate is within about ±15% of real tokenizers: a tenth of the prompt plus a
    /// little for the chat template's own tokens.
    static func margin(forPrompt prompt: Int) -> Int { (prompt / 10).saturatingAdd(256) }

    /// More than 10% over the window: no estimation error makes that fit.
    static func isClearlyTooLong(prompt: Int, window: Int) -> Bool { prompt > window.saturatingAdd(window / 10) }
}
