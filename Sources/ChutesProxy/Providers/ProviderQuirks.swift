import Translation

/// What one OpenAI-compatible server takes differently from Chutes, read from a `PROVIDERS`
/// entry. The defaults are what Chutes does, so an entry names only where its server differs.
/// `UpstreamRequestBuilder` hands them to the translation (`TranslationOptions`), whose
/// enums spell the settings' values.
public struct ProviderQuirks: Sendable, Equatable {
    /// `max_tokens_field`.
    public var maxTokensField = MaxTokensField.maxTokens
    /// `reasoning_field` (`reasoning_content`, `reasoning` or `none`); nil: chosen by the
    /// model's engine, as for Chutes.
    public var reasoningField: ReasoningField?
    /// `chat_template_kwargs`: false never sends `chat_template_kwargs`.
    public var sendsChatTemplateKwargs = true
    /// `stream_options`: false never sends `stream_options` (usage is then estimated).
    public var sendsStreamOptions = true
    /// `reasoning_effort`: false never sends `reasoning_effort`.
    public var sendsReasoningEffort = true

    /// Chutes' behaviour.
    public init() {}

    /// The entry keys that set a quirk, as `PROVIDERS` spells them.
    static let keys = ["max_tokens_field", "reasoning_field", "chat_template_kwargs", "stream_options", "reasoning_effort"]

    /// The quirks that differ from Chutes', as `key=value` words (empty: none), for
    /// `--print-config` and `check`.
    var differences: [String] {
        var words: [String] = []
        if maxTokensField != .maxTokens { words.append("max_tokens_field=\(maxTokensField.rawValue)") }
        if let reasoningField { words.append("reasoning_field=\(reasoningField.rawValue)") }
        if !sendsChatTemplateKwargs { words.append("chat_template_kwargs=false") }
        if !sendsStreamOptions { words.append("stream_options=false") }
        if !sendsReasoningEffort { words.append("reasoning_effort=false") }
        return words
    }
}
