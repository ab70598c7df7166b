import JSON
import Translation

/// Step 3 of a `POST /v1/messages`: the chat-completions request for one upstream model,
/// shaped by what the model list says of it (limits, engine).
struct UpstreamRequestBuilder: Sendable {
    let configuration: ProxyConfiguration

    /// A request ready to send to one model.
    struct Prepared: Sendable {
        /// The model value sent (one model or a Chutes pool).
        var model: String
        var body: [UInt8]
        var context: RequestContext
        /// The `max_tokens` (or `max_completion_tokens`) sent.
        var maxTokens: Int
        /// How `output_config.format` was sent; `.instructed` answers are asked whole
        /// (`stream` false) and checked against the schema before the client sees them.
        var structuredOutput = StructuredOutput.Mode.guided
    }

    /// Translates `request` for `model` (already mapped and spelled as the upstream does);
    /// `info` is the model list's entry, nil when it does not know the model.
    /// `structuredOutput`: `.instructed` after the upstream refused `response_format`.
    /// `quirks`: where the model's provider differs from Chutes.
    func prepare(
        _ request: MessagesRequest, model: String, info: ModelInfo?, quirks: ProviderQuirks = ProviderQuirks(), structuredOutput: StructuredOutput.Mode = .guided
    ) throws(AnthropicError) -> Prepared {
        var options = TranslationOptions()
        options.maxTokensCap = configuration.maxTokensCap
        options.toolNameRules = configuration.toolNameRules
        options.thinkingTemplateKwargs = configuration.thinkingTemplateKwargs
        options.enableThinkingHeader = request.enableThinkingHeader
        options.resolveModel = { _ in model }
        options.reasoningField = quirks.reasoningField ?? ReasoningField(engine: info?.ownedBy)
        options.maxTokensField = quirks.maxTokensField
        options.sendsChatTemplateKwargs = quirks.sendsChatTemplateKwargs
        options.sendsStreamOptions = quirks.sendsStreamOptions
        options.sendsReasoningEffort = quirks.sendsReasoningEffort
        options.structuredOutput = structuredOutput
        let translated: JSONValue
        var context: RequestContext
        do {
            (translated, context) = try RequestTranslator.translate(request.body, options: options)
        } catch {
            throw AnthropicError(status: .badRequest, message: error.description)
        }
        if request.contextManagement != nil { context.contextManagement = ["applied_edits": .array(request.appliedEdits)] }
        if let compaction = request.compaction {
            context.leadingBlocks = [compaction.block]
            context.earlierIterations = [compaction.iteration]
        }
        guard case .object(var object) = translated else { throw AnthropicError(status: .internalServerError, message: "the translation is not a JSON object") }
        // The limit is fitted under whichever member the provider reads it from.
        let maxTokensMember = options.maxTokensField.rawValue
        var maxTokens = object[maxTokensMember]?.intValue ?? 0
        if let info {
            let fitted = try ModelLimits.maxTokens(requested: maxTokens, info: info, bodyBytes: request.bodyBytes, hasImages: request.hasImages) {
                request.estimatedInputTokens
            }
            if fitted != maxTokens {
                maxTokens = fitted
                object[maxTokensMember] = JSONValue(fitted)
            }
        }
        if structuredOutput == .instructed, context.outputSchema != nil {
            // The answer is checked before any of it is sent, so it is asked for whole.
            _ = object.removeValue(forKey: "stream")
            _ = object.removeValue(forKey: "stream_options")
        }
        // The upstream body is about as long as the client's (tools gain a wrapper each).
        let body = JSONValue.object(object).serialized(reservingCapacity: request.bodyBytes + request.bodyBytes / 8 + 256)
        return Prepared(model: model, body: body, context: context, maxTokens: maxTokens, structuredOutput: structuredOutput)
    }
}
