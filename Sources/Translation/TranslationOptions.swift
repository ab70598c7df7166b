import JSON

/// The operator's choices that shape a translated request.
public struct TranslationOptions: Sendable {
    /// Caps `max_tokens` (Claude Code asks for 128000, which many models refuse).
    public var maxTokensCap: Int?
    /// Tool renames (`TOOL_NAME_MAP`).
    public var toolNameRules = ToolNameMapping.Rules()
    /// Sent as `chat_template_kwargs` when reasoning is switched on, e.g. `{"thinking": true}`
    /// or `{"enable_thinking": true}`; with reasoning off the same keys are sent as `false`.
    public var thinkingTemplateKwargs: JSONObject?
    /// Whether to send OpenAI's `reasoning_effort` when reasoning is on.
    public var sendsReasoningEffort = true
    /// The request carried `X-Enable-Thinking: true`.
    public var enableThinkingHeader = false
    /// The upstream model for the name the client asked for (after any `:thinking` suffix is
    /// stripped): `MODEL_MAP` and case correction live in the application.
    public var resolveModel: @Sendable (String) -> String = { $0 }
    /// Where assistant `thinking` from the history goes: the field the serving engine reads.
    public var reasoningField = ReasoningField.reasoningContent
    /// The request member that carries the answer's length limit.
    public var maxTokensField = MaxTokensField.maxTokens
    /// Whether `chat_template_kwargs` may be sent at all (the operator's and the families'
    /// own, such as Seed-OSS's `thinking_budget`): hosted APIs that take no template
    /// switches may refuse the member.
    public var sendsChatTemplateKwargs = true
    /// Whether a stream asks for usage with `stream_options`; without it the usage comes
    /// from the proxy's own estimate unless the upstream sends some anyway.
    public var sendsStreamOptions = true

    /// How `output_config.format` reaches the upstream: its guided decoding, or (after an
    /// upstream refused `response_format`) the schema stated in the system message.
    public var structuredOutput = StructuredOutput.Mode.guided

    /// The defaults: no cap, no renames, no template switches, the model name as asked.
    public init() {}
}

/// The assistant-message field an engine reads prior reasoning from. vLLM reads `reasoning`
/// (`vllm/entrypoints/chat_utils.py`, `_parse_chat_message_content`; `reasoning_content` is
/// only its output name); sglang's message model has `reasoning_content` and drops unknown
/// fields (`python/sglang/srt/entrypoints/openai/protocol.py`), as does DeepSeek's own API.
/// The raw values are the provider setting's spellings.
public enum ReasoningField: String, Sendable, CaseIterable {
    case reasoning
    case reasoningContent = "reasoning_content"
    /// History reasoning is not sent at all (an API that refuses or bills for the member).
    case omitted = "none"

    /// The assistant-message member that carries the reasoning; nil when none is sent.
    public var memberName: String? {
        switch self {
        case .reasoning, .reasoningContent: rawValue
        case .omitted: nil
        }
    }

    /// The field for an engine named as in OpenAI's model list `owned_by` (Chutes says `vllm`
    /// or `sglang`); anything else keeps the widely read `reasoning_content`.
    public init(engine: String?) {
        self = engine?.lowercased() == "vllm" ? .reasoning : .reasoningContent
    }
}

/// The request member for the answer's length limit. OpenAI deprecated `max_tokens` in favour
/// of `max_completion_tokens` (and its reasoning models refuse the old name); vLLM and sglang
/// read both, DeepSeek's API and most OpenAI-compatible servers only `max_tokens`. The raw
/// values are the member names and the provider setting's spellings.
public enum MaxTokensField: String, Sendable, CaseIterable {
    case maxTokens = "max_tokens"
    case maxCompletionTokens = "max_completion_tokens"
}

/// What the response translation needs to know about the request it answers.
public struct RequestContext: Sendable {
    /// The model name the client asked for, echoed in responses.
    public var requestedModel: String
    /// The model name sent upstream.
    public var upstreamModel: String
    /// Whether the client asked for a stream.
    public var stream: Bool
    /// Whether the client asked for reasoning (thinking on, or adaptive).
    public var thinkingRequested: Bool
    /// The declared tools, name -> input_schema.
    public var tools: [(name: String, inputSchema: JSONValue)]
    /// Tool names between the client and the upstream, both ways.
    public var toolNames: ToolNameMapping
    /// The client's request, kept for what is needed only sometimes (the token estimate).
    public var request: JSONValue
    /// Stop sequences asked for, to report which one matched.
    public var stopSequences: [String]

    /// `{"applied_edits": [...]}` for the answer, when the request had `context_management`.
    public var contextManagement: JSONValue?

    /// Whole blocks that open the answer before the upstream's (a `compaction` block).
    public var leadingBlocks: [JSONValue] = []
    /// `usage.iterations` entries before the upstream's own answer (a compaction's).
    public var earlierIterations: [JSONValue] = []

    /// `output_config.format.schema`: the answer's text must be JSON matching it.
    public var outputSchema: JSONValue?

    /// Whether the request declared any tool.
    public var declaresTools: Bool { !tools.isEmpty }

    /// The request's estimated size in tokens, computed when asked: only streams (for
    /// `message_start`) and context-length errors need it, and it reads the whole request.
    public var estimatedInputTokens: Int { TokenEstimator.estimate(request: request) }
}
